import { createToken, Lexer, type TokenType } from "chevrotain";

// Token order matters to chevrotain: the lexer tries patterns top to bottom and takes the first
// that matches. Comments come before anything starting with "/"; numbers before identifiers so
// "1e-4" is one number; keywords carry `longer_alt: Identifier` so "levels" is a name, not
// "level" + "s", and the category Identifier so every keyword can still be used as a name where
// the grammar expects one (a field called "group" must not need quotes).

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/, group: Lexer.SKIPPED });
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\n\r]*/, group: "comments" });
export const BlockComment = createToken({ name: "BlockComment", pattern: /\/\*[\s\S]*?\*\//, line_breaks: true, group: "comments" });

/** A double-quoted string with JSON-style escapes. */
export const StringLiteral = createToken({ name: "StringLiteral", label: "a string", pattern: /"(?:[^"\\\n\r]|\\.)*"/ });
/** A string missing its closing quote: lexed so the parser can report it precisely and go on. */
export const UnterminatedString = createToken({ name: "UnterminatedString", label: "an unterminated string", pattern: /"(?:[^"\\\n\r]|\\.)*\\?/ });
export const NumberLiteral = createToken({ name: "NumberLiteral", label: "a number", pattern: /[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/ });
/** Names may hold inner dashes, as CSV headers do ("education-num"). */
export const Identifier = createToken({ name: "Identifier", label: "a name", pattern: /[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*/ });

const keyword = (word: string): TokenType =>
  createToken({ name: word[0]!.toUpperCase() + word.slice(1), label: `'${word}'`, pattern: new RegExp(word), longer_alt: Identifier, categories: [Identifier] });

export const Import = keyword("import");
export const Fields = keyword("fields");
export const Tasks = keyword("tasks");
export const Model = keyword("model");
export const Groups = keyword("groups");
export const Select = keyword("select");
export const Per = keyword("per");
export const Group = keyword("group");
export const Level = keyword("level");
export const Experts = keyword("experts");
export const Connect = keyword("connect");
export const Towers = keyword("towers");
export const Tower = keyword("tower");
export const Mlp = keyword("mlp");
export const None = keyword("none");
export const Times = keyword("x");

export const LCurly = createToken({ name: "LCurly", label: "'{'", pattern: "{" });
export const RCurly = createToken({ name: "RCurly", label: "'}'", pattern: "}" });
export const LParen = createToken({ name: "LParen", label: "'('", pattern: "(" });
export const RParen = createToken({ name: "RParen", label: "')'", pattern: ")" });
export const LBracket = createToken({ name: "LBracket", label: "'['", pattern: "[" });
export const RBracket = createToken({ name: "RBracket", label: "']'", pattern: "]" });
export const Colon = createToken({ name: "Colon", label: "':'", pattern: ":" });
export const Comma = createToken({ name: "Comma", label: "','", pattern: "," });
export const Semicolon = createToken({ name: "Semicolon", label: "';'", pattern: ";" });
// A metric expression (`monitor: 0.7 * click.auc + 0.3 * buy.auc`). "+" before a digit is the
// sign of a number, which comes first; the parser takes "+0.3 *" as "+ 0.3 *" there.
export const Dot = createToken({ name: "Dot", label: "'.'", pattern: "." });
export const Star = createToken({ name: "Star", label: "'*'", pattern: "*" });
export const Plus = createToken({ name: "Plus", label: "'+'", pattern: "+" });

export const keywords = [Import, Fields, Tasks, Model, Groups, Select, Per, Group, Level, Experts, Connect, Towers, Tower, Mlp, None, Times];

export const allTokens: TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  StringLiteral,
  UnterminatedString,
  NumberLiteral,
  ...keywords,
  Identifier,
  LCurly,
  RCurly,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Colon,
  Comma,
  Semicolon,
  Dot,
  Star,
  Plus,
];

// "full" position tracking gives every token its end offset, which lets the parser record each CST
// node's start and end as it builds it (to-ast.ts reads them instead of walking subtrees).
/** The lexer for .mssm text; it never throws, unknown characters become lexing errors. */
export const mssmLexer = new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: false });
