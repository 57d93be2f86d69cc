// A short program written against the TypeScript client that openapi-typescript generates from
// openapi/openapi.json, run by .ci/live-checks against the live demo server: what a frontend
// developer does first. `tsc --strict` checks it against the generated types, so a spec change
// that breaks such a client fails CI before this even runs.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/dateline.js";

type Problem = components["schemas"]["Problem"];
type Article = components["schemas"]["Article"];

declare const process: { argv: string[]; exitCode?: number };

const base = process.argv[2];
if (!base) throw new Error("usage: node dist/client.js BASE_URL");
const api = createClient<paths>({ baseUrl: base });

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`generated client: ${what}`);
  console.log(`ok: ${what}`);
}

// The latest 10, newest first.
const latest = await api.GET("/v1/articles", { params: { query: { limit: 10 } } });
if (!latest.data) throw new Error(`latest: ${JSON.stringify(latest.error)}`);
const times = latest.data.data.map((a) => Date.parse(a.published_at));
check(latest.data.data.length === 10, "the latest 10 articles");
check(times.every((t, i) => i === 0 || t <= times[i - 1]), "newest first");

// A topic's second page, by the first page's cursor.
const topic = { path: { slug: "diplomacy" } };
const first = await api.GET("/v1/topics/{slug}/articles", { params: { ...topic, query: { limit: 2 } } });
const cursor = first.data?.next_cursor;
if (!first.data || cursor == null) throw new Error("a topic's first page has a next_cursor");
const second = await api.GET("/v1/topics/{slug}/articles", {
  params: { ...topic, query: { limit: 2, cursor } },
});
if (!second.data) throw new Error(`page 2: ${JSON.stringify(second.error)}`);
const firstIds = new Set(first.data.data.map((a) => a.id));
check(second.data.data.length > 0 && second.data.data.every((a) => !firstIds.has(a.id)),
  "a topic's page 2, by cursor, repeats nothing of page 1");

// One article with its entities, and the persons among them.
const seed = "us-formally-rejects-russias-top-security-demands";
const article = await api.GET("/v1/articles/{id_or_slug}", { params: { path: { id_or_slug: seed } } });
if (!article.data) throw new Error(`the seed article: ${JSON.stringify(article.error)}`);
// The operation also serves ninjs and JSON-LD (by `format` or `Accept`); without either it is JSON.
check(article.response.headers.get("content-type") === "application/json", "the article as JSON by default");
const seedArticle = article.data as Article;
const persons = seedArticle.entities.filter((e) => e.kind === "person").map((e) => e.name);
check(seedArticle.authors.some((a) => a.slug === "alex-raufoglu"), "the seed article, by Alex Raufoglu");
const ninjs = await api.GET("/v1/articles/{id_or_slug}", {
  params: { path: { id_or_slug: seed }, query: { format: "ninjs" } },
});
check(ninjs.response.headers.get("content-type") === "application/ninjs+json; version=3.1", "the article as ninjs 3.1");
check(persons.includes("Antony Blinken"), `the persons it names: ${persons.join(", ")}`);
const people = await api.GET("/v1/entities", { params: { query: { kind: "person", limit: 100 } } });
check(people.data?.data.every((e) => e.kind === "person") === true, "the entity list, persons only");

// A 404, read as a typed problem document.
const missing = await api.GET("/v1/articles/{id_or_slug}", {
  params: { path: { id_or_slug: "no-such-article" } },
});
const problem: Problem | undefined = missing.error;
check(missing.response.status === 404 && problem?.status === 404 && typeof problem.title === "string",
  `a 404 as a problem: ${problem?.detail}`);
check(missing.response.headers.get("content-type") === "application/problem+json", "served as application/problem+json");
