/** A kind of product the generator can create, with its category, unit and typical price. */
export interface ProductItem {
  readonly name: string;
  readonly category: string;
  readonly unit: "kg" | "l" | "each" | "case" | "box" | "pack";
  /** Typical unit price in the organization's currency. */
  readonly basePrice: number;
}

/** Products, cycled through by each organization's catalog (so categories are all present). */
export const PRODUCT_ITEMS: readonly ProductItem[] = [
  { name: "Tomatoes", category: "Produce", unit: "kg", basePrice: 3.2 },
  { name: "Potatoes", category: "Produce", unit: "kg", basePrice: 1.1 },
  { name: "Onions", category: "Produce", unit: "kg", basePrice: 1.4 },
  { name: "Lettuce", category: "Produce", unit: "each", basePrice: 1.9 },
  { name: "Whole milk", category: "Dairy", unit: "l", basePrice: 1.3 },
  { name: "Butter", category: "Dairy", unit: "kg", basePrice: 9.5 },
  { name: "Cheddar", category: "Dairy", unit: "kg", basePrice: 12.0 },
  { name: "Cream", category: "Dairy", unit: "l", basePrice: 4.1 },
  { name: "Chicken breast", category: "Meat", unit: "kg", basePrice: 8.9 },
  { name: "Beef mince", category: "Meat", unit: "kg", basePrice: 11.5 },
  { name: "Pork loin", category: "Meat", unit: "kg", basePrice: 9.8 },
  { name: "Salmon fillet", category: "Seafood", unit: "kg", basePrice: 21.0 },
  { name: "Cod loin", category: "Seafood", unit: "kg", basePrice: 17.5 },
  { name: "Prawns", category: "Seafood", unit: "kg", basePrice: 24.0 },
  { name: "Sourdough loaf", category: "Bakery", unit: "each", basePrice: 3.9 },
  { name: "Burger buns", category: "Bakery", unit: "pack", basePrice: 2.6 },
  { name: "Croissants", category: "Bakery", unit: "box", basePrice: 11.0 },
  { name: "Sparkling water", category: "Beverages", unit: "case", basePrice: 9.0 },
  { name: "Orange juice", category: "Beverages", unit: "l", basePrice: 2.4 },
  { name: "House wine", category: "Beverages", unit: "case", basePrice: 54.0 },
  { name: "Coffee beans", category: "Beverages", unit: "kg", basePrice: 19.0 },
  { name: "Flour", category: "Dry goods", unit: "kg", basePrice: 0.9 },
  { name: "Rice", category: "Dry goods", unit: "kg", basePrice: 1.8 },
  { name: "Olive oil", category: "Dry goods", unit: "l", basePrice: 7.5 },
  { name: "Pasta", category: "Dry goods", unit: "kg", basePrice: 2.1 },
  { name: "Dish soap", category: "Cleaning", unit: "l", basePrice: 3.3 },
  { name: "Surface spray", category: "Cleaning", unit: "each", basePrice: 4.2 },
  { name: "Takeaway boxes", category: "Packaging", unit: "box", basePrice: 18.0 },
  { name: "Paper bags", category: "Packaging", unit: "pack", basePrice: 6.5 },
  { name: "Napkins", category: "Packaging", unit: "case", basePrice: 14.0 },
];

/** Words organization names are made of. */
export const ORGANIZATION_WORDS = {
  first: ["Nordic", "Harbor", "Golden", "Urban", "Green", "Copper", "Silver", "Coastal", "Maple"],
  second: ["Kitchen", "Bistro", "Bakery", "Market", "Cafe", "Grill", "Deli", "Canteen", "Eatery"],
} as const;

/** Words supplier names are made of. */
export const SUPPLIER_WORDS = {
  first: [
    "Fresh",
    "Prime",
    "Valley",
    "North Sea",
    "Alpine",
    "Harvest",
    "Metro",
    "Baltic",
    "Sunrise",
  ],
  second: ["Produce", "Foods", "Dairy", "Meats", "Trading", "Wholesale", "Supply", "Fisheries"],
} as const;

/** Cities locations are named after, with their ISO country code. */
export const LOCATION_CITIES: readonly (readonly [city: string, country: string])[] = [
  ["Copenhagen", "DK"],
  ["Aarhus", "DK"],
  ["Berlin", "DE"],
  ["Hamburg", "DE"],
  ["Stockholm", "SE"],
  ["Oslo", "NO"],
  ["London", "GB"],
  ["Amsterdam", "NL"],
  ["New York", "US"],
];

/** Time zones of generated organizations; the default one appears most. */
export const TIME_ZONES: readonly string[] = [
  "Europe/Copenhagen",
  "Europe/Copenhagen",
  "Europe/Copenhagen",
  "Europe/Berlin",
  "Europe/Stockholm",
  "Europe/London",
  "America/New_York",
  "Asia/Tokyo",
];

/** Main currencies of generated organizations; a tenth of invoices use a second one. */
export const CURRENCIES: readonly string[] = ["DKK", "EUR", "SEK", "NOK", "GBP", "USD"];
