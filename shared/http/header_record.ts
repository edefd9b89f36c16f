/** Response headers as a plain record: cheaper than `Headers` on a hot path. */
export type HeaderRecord = Readonly<Record<string, string>>;
