// Uses the generated types the way a client author would: if the document loses a schema or a
// field these lines rely on, `tsc` fails.
import type { components, paths } from "./schema";

type Item = components["schemas"]["ItemSummary"];
type Listing = paths["/api/v1/items"]["get"]["responses"]["200"]["content"]["application/json"];
type NewItem = paths["/api/v1/items"]["post"]["requestBody"]["content"]["application/json"];
type Problem = components["schemas"]["ErrorBody"];
type ListQuery = NonNullable<paths["/api/v1/items"]["get"]["parameters"]["query"]>;

export function titles(page: Listing): string[] {
  return page.items.map((i: Item) => `${i.title} (${i.region.name})`);
}

export const draft: NewItem = { section: "lend", category_id: 1, title: "캠핑 의자" };
export const query: ListQuery = { section: "borrow", sort: "price_asc", per_page: 20 };

export function explain(p: Problem): string {
  return `${p.error.code}: ${p.error.message}`;
}
