function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/**
 * An exact fraction of BigInts, for recomputing SQL `numeric` results without
 * floating point. Always reduced, denominator positive.
 */
export class Rational {
  private constructor(readonly numerator: bigint, readonly denominator: bigint) {}

  /** The fraction `numerator / denominator`. */
  static of(numerator: bigint | number, denominator: bigint | number = 1n): Rational {
    let n = BigInt(numerator);
    let d = BigInt(denominator);
    if (d === 0n) throw new RangeError("Cannot make a rational: denominator is 0");
    if (d < 0n) [n, d] = [-n, -d];
    const divisor = gcd(n, d) || 1n;
    return new Rational(n / divisor, d / divisor);
  }

  /** Parses a decimal as Postgres prints `numeric`, e.g. `-12.340`. */
  static parse(decimal: string): Rational {
    const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(decimal);
    if (!match) throw new RangeError(`Not a decimal: ${decimal}`);
    const [, sign, whole, fraction = ""] = match;
    const digits = BigInt(`${whole}${fraction}`);
    return Rational.of(sign ? -digits : digits, 10n ** BigInt(fraction.length));
  }

  static readonly zero: Rational = Rational.of(0n);

  plus(other: Rational): Rational {
    return Rational.of(
      this.numerator * other.denominator + other.numerator * this.denominator,
      this.denominator * other.denominator,
    );
  }

  minus(other: Rational): Rational {
    return this.plus(Rational.of(-other.numerator, other.denominator));
  }

  times(other: Rational | bigint | number): Rational {
    const o = other instanceof Rational ? other : Rational.of(other);
    return Rational.of(this.numerator * o.numerator, this.denominator * o.denominator);
  }

  /** `this / other`, or `null` when `other` is zero (as the SQL helpers return null). */
  dividedBy(other: Rational | bigint | number): Rational | null {
    const o = other instanceof Rational ? other : Rational.of(other);
    if (o.numerator === 0n) return null;
    return Rational.of(this.numerator * o.denominator, this.denominator * o.numerator);
  }

  isZero(): boolean {
    return this.numerator === 0n;
  }

  /** Negative, zero or positive like `a - b`. */
  compare(other: Rational): number {
    const difference = this.minus(other).numerator;
    return difference < 0n ? -1 : difference > 0n ? 1 : 0;
  }

  /** Rounded half away from zero to `digits` decimals, printed as Postgres prints `numeric`. */
  toFixed(digits: number): string {
    const scale = 10n ** BigInt(digits);
    const scaled = (this.numerator < 0n ? -this.numerator : this.numerator) * scale;
    let quotient = scaled / this.denominator;
    if (2n * (scaled % this.denominator) >= this.denominator) quotient += 1n;
    const sign = this.numerator < 0n && quotient !== 0n ? "-" : "";
    const whole = (quotient / scale).toString();
    const fraction = (quotient % scale).toString().padStart(digits, "0");
    return digits === 0 ? `${sign}${whole}` : `${sign}${whole}.${fraction}`;
  }
}

/** Sum of rationals (zero for none). */
export function sum(values: Iterable<Rational>): Rational {
  let total = Rational.zero;
  for (const value of values) total = total.plus(value);
  return total;
}

/** `round(100 * part / whole, 2)` as text, or null when `whole` is zero. */
export function percent(part: Rational, whole: Rational): string | null {
  return part.times(100).dividedBy(whole)?.toFixed(2) ?? null;
}
