import type { Rule } from "../rule.js";
import { duplicateName } from "./duplicate-name.js";

/** Every check rule, in the order they run (and are listed in specs/language.md). */
export const rules: readonly Rule[] = [duplicateName];
