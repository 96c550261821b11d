/**
 * The claim kinds, and the schema of a claim: a discriminated union on
 * `kind` of each kind's schema. A new kind is a module beside these and one
 * entry in CLAIM_KINDS.
 *
 * @example
 * ```ts
 * import { ClaimSchema } from "./mod.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(ClaimSchema.safeParse({ kind: "nope" }).success, false); // kind must be compare, expect or fraction
 * ```
 * @module
 */
import { z } from "zod";
import type { ClaimKind } from "../types.ts";
import { compareClaim, CompareClaimSchema } from "./compare.ts";
import { expectClaim, ExpectClaimSchema } from "./expect.ts";
import { fractionClaim, FractionClaimSchema } from "./fraction.ts";

/** Every claim kind, by name. */
export const CLAIM_KINDS: Record<string, ClaimKind> = Object.fromEntries(
  [compareClaim, expectClaim, fractionClaim].map((k) => [k.kind, k as unknown as ClaimKind]),
);

/** A claim of a pipeline. */
export const ClaimSchema = z.discriminatedUnion("kind", [CompareClaimSchema, ExpectClaimSchema, FractionClaimSchema]);

/** A parsed claim. */
export type ClaimSpec = z.infer<typeof ClaimSchema>;
