import { CstParser, EOF, MismatchedTokenException, tokenLabel, tokenMatcher, type CstNode, type IParserErrorMessageProvider, type IRecognitionException, type IToken, type ParserMethod, type TokenType } from "chevrotain";
import * as T from "./tokens.js";

/**
 * The .mssm grammar. Each rule is a class field with its EBNF above it; the parser builds a
 * concrete syntax tree only (no semantic actions) and recovers from errors, so a half-typed file
 * still yields a tree for the editor. `to-ast.ts` turns the tree into the AST.
 */
const found = (t: IToken): string => (t.tokenType === EOF ? "the end of the file" : `'${t.image}'`);
const oneOf = (types: TokenType[]): string => {
  const labels = [...new Set(types.map(tokenLabel))];
  return labels.length <= 1 ? (labels[0] ?? "more input") : `${labels.slice(0, -1).join(", ")} or ${labels[labels.length - 1]}`;
};
const topLevel = (actual: IToken): string => `Expected 'import', 'fields', 'tasks' or 'model' at the top level but found ${found(actual)}.`;

/** Messages in the voice of the rest of mssmc: what was expected, what was found. */
const messages: IParserErrorMessageProvider = {
  // chevrotain expects EOF after the last top-level item it could read: say what the top level holds.
  buildMismatchTokenMessage: ({ expected, actual }) => (expected === EOF ? topLevel(actual) : `Expected ${tokenLabel(expected)} but found ${found(actual)}.`),
  buildNotAllInputParsedMessage: ({ firstRedundant }) => topLevel(firstRedundant),
  buildNoViableAltMessage: ({ expectedPathsPerAlt, actual }) => {
    // When some alternative starts like the input, say what that alternative needed next:
    // "Expected '{' after 'towers'" helps more than a list of every way an entry can start.
    const paths = expectedPathsPerAlt.flat();
    let best: { matched: number; next: TokenType } | undefined;
    for (const path of paths) {
      let matched = 0;
      while (matched < path.length && matched < actual.length && tokenMatcher(actual[matched]!, path[matched]!)) matched++;
      const next = path[matched];
      if (matched > 0 && next && (!best || matched > best.matched)) best = { matched, next };
    }
    if (best) return `Expected ${tokenLabel(best.next)} after '${actual[best.matched - 1]!.image}'.`;
    return `Expected ${oneOf(paths.map((path) => path[0]!).filter(Boolean))} but found ${found(actual[0]!)}.`;
  },
  buildEarlyExitMessage: ({ expectedIterationPaths, actual }) =>
    `Expected ${oneOf(expectedIterationPaths.map((path) => path[0]!).filter(Boolean))} but found ${found(actual[0]!)}.`,
};

/** A token left out (a block's '}', a ',' between names): reported at the gap where it belongs. */
export class MissingTokenException extends MismatchedTokenException {}

/**
 * Past this many syntax errors the text is no spec with mistakes: recovery skips the rest unread
 * (chevrotain takes about half a millisecond to explain each error; the editor shows 200).
 */
const MAX_ERRORS = 200;

const keywords = new Set(T.keywords);
const isName = (t: IToken): boolean => tokenMatcher(t, T.Identifier) || tokenMatcher(t, T.StringLiteral) || tokenMatcher(t, T.UnterminatedString);
/** True when `t` is the first token on its line (`previous` is the token before it). */
const startsLine = (t: IToken, previous: IToken): boolean => t.tokenType !== EOF && previous.tokenType !== EOF && t.startLine! > previous.endLine!;
const opens = (t: IToken): boolean => t.tokenType === T.LCurly || t.tokenType === T.LParen || t.tokenType === T.LBracket;
const closes = (t: IToken): boolean => t.tokenType === T.RCurly || t.tokenType === T.RParen || t.tokenType === T.RBracket;

class MssmParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 3, nodeLocationTracking: "onlyOffset", errorMessageProvider: messages });
    this.performSelfAnalysis();
  }

  // document := item*          (an item that fails is skipped as a block skips a broken entry)
  document = this.RULE("document", () => {
    this.MANY(() => {
      const start = this.LA(1);
      const item = this.SUBRULE(this.item);
      if (item.recoveredNode) this.ACTION(() => this.skipBrokenEntry(start));
    });
  });

  // item := importDecl | fieldsBlock | tasksBlock | modelDecl
  item = this.RULE("item", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.fieldsBlock) },
      { ALT: () => this.SUBRULE(this.tasksBlock) },
      { ALT: () => this.SUBRULE(this.modelDecl) },
    ]);
  });

  // importDecl := "import" STRING
  importDecl = this.RULE("importDecl", () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.StringLiteral);
  });

  // fieldsBlock := "fields" block(decl)
  fieldsBlock = this.RULE("fieldsBlock", () => {
    this.CONSUME(T.Fields);
    this.block(this.decl);
  });

  // tasksBlock := "tasks" block(decl)
  tasksBlock = this.RULE("tasksBlock", () => {
    this.CONSUME(T.Tasks);
    this.block(this.decl);
  });

  // decl := name typeExpr        (a field or a task: `age numeric`, `income binary(label: Y)`)
  decl = this.RULE("decl", () => {
    this.SUBRULE(this.name);
    this.SUBRULE(this.typeExpr);
  });

  // modelDecl := "model" name block(modelEntry)
  modelDecl = this.RULE("modelDecl", () => {
    this.CONSUME(T.Model);
    this.SUBRULE(this.name);
    this.block(this.modelEntry);
  });

  // modelEntry := groupsEntry | modelTasks | selectEntry | levelBlock | towersBlock | property | section
  modelEntry = this.RULE("modelEntry", () => {
    this.OR({
      // Keywords are also identifiers, so `section` could start like any of the others; the
      // specific alternatives come first and win.
      IGNORE_AMBIGUITIES: true,
      DEF: [
        { ALT: () => this.SUBRULE(this.groupsEntry) },
        { ALT: () => this.SUBRULE(this.modelTasks) },
        { ALT: () => this.SUBRULE(this.selectEntry) },
        { ALT: () => this.SUBRULE(this.levelBlock) },
        { ALT: () => this.SUBRULE(this.towersBlock) },
        { ALT: () => this.SUBRULE(this.property) },
        { ALT: () => this.SUBRULE(this.section) },
      ],
    });
  });

  // groupsEntry := "groups" name ("," name)*
  groupsEntry = this.RULE("groupsEntry", () => {
    this.CONSUME(T.Groups);
    this.SUBRULE(this.nameList);
  });

  // modelTasks := "tasks" name ("," name)*       (the subset of declared tasks this model learns)
  modelTasks = this.RULE("modelTasks", () => {
    this.CONSUME(T.Tasks);
    this.SUBRULE(this.nameList);
  });

  // nameList := name ("," name)*
  //   A comma before `name:` or `name {` separates entries instead. A name right after a name on
  //   the same line, where the block could not read it as its next entry, is a comma left out:
  //   it is reported and read as if the comma were there.
  nameList = this.RULE("nameList", () => {
    this.SUBRULE(this.name);
    this.MANY({
      GATE: () =>
        this.LA(1).tokenType === T.Comma
          ? this.LA(3).tokenType !== T.Colon && this.LA(3).tokenType !== T.LCurly
          : isName(this.LA(0)) && isName(this.LA(1)) && !startsLine(this.LA(1), this.LA(0)) && this.errors.length < MAX_ERRORS && !this.startsEntry(),
      DEF: () => {
        const comma = this.OPTION(() => this.CONSUME(T.Comma));
        if (!comma) this.ACTION(() => this.report(new MissingTokenException(`Expected ',' between '${this.LA(0).image}' and '${this.LA(1).image}'.`, this.LA(1), this.LA(0))));
        this.SUBRULE2(this.name);
      },
    });
  });

  // selectEntry := "select" "fields" "per" "group" ("(" (arg ("," arg)* ","?)? ")")?
  selectEntry = this.RULE("selectEntry", () => {
    this.CONSUME(T.Select);
    this.CONSUME(T.Fields);
    this.CONSUME(T.Per);
    this.CONSUME(T.Group);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.MANY(() => {
        this.SUBRULE(this.arg);
        this.OPTION2(() => this.CONSUME(T.Comma));
      });
      this.CONSUME(T.RParen);
    });
  });

  // levelBlock := "level" NUMBER block(levelEntry)
  levelBlock = this.RULE("levelBlock", () => {
    this.CONSUME(T.Level);
    this.CONSUME(T.NumberLiteral);
    this.block(this.levelEntry);
  });

  // levelEntry := "experts" ":" mlpSpec | "experts" block(namedExperts) | connectEntry | property
  levelEntry = this.RULE("levelEntry", () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          ALT: () => {
            this.CONSUME(T.Experts);
            this.OR2([
              {
                ALT: () => {
                  this.CONSUME(T.Colon);
                  this.SUBRULE(this.mlpSpec);
                },
              },
              { ALT: () => this.block(this.namedExperts) },
            ]);
          },
        },
        { ALT: () => this.SUBRULE(this.connectEntry) },
        { ALT: () => this.SUBRULE(this.property) },
      ],
    });
  });

  // namedExperts := name ":" (mlpSpec | "none")
  namedExperts = this.RULE("namedExperts", () => {
    this.SUBRULE(this.name);
    this.CONSUME(T.Colon);
    this.OR([{ ALT: () => this.CONSUME(T.None) }, { ALT: () => this.SUBRULE(this.mlpSpec) }]);
  });

  // towersBlock := "towers" block(towerEntry)
  towersBlock = this.RULE("towersBlock", () => {
    this.CONSUME(T.Towers);
    this.block(this.towerEntry);
  });

  // towerEntry := connectEntry | name ":" mlpSpec     ("tower" names the default for every task)
  towerEntry = this.RULE("towerEntry", () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        { ALT: () => this.SUBRULE(this.connectEntry) },
        {
          ALT: () => {
            this.SUBRULE(this.name);
            this.CONSUME(T.Colon);
            this.SUBRULE(this.mlpSpec);
          },
        },
      ],
    });
  });

  // connectEntry := "connect" ":" typeExpr
  connectEntry = this.RULE("connectEntry", () => {
    this.CONSUME(T.Connect);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
  });

  // mlpSpec := (NUMBER "x")? "mlp" "[" (NUMBER ("," NUMBER)*)? "]" activation?
  //   activation := IDENT, unless it starts the next `name:` entry, or is a keyword starting a
  //   line: no activation is a keyword, and `level 2 {` after a block left open must stay whole
  mlpSpec = this.RULE("mlpSpec", () => {
    this.OPTION(() => {
      this.CONSUME(T.NumberLiteral);
      this.CONSUME(T.Times);
    });
    this.CONSUME(T.Mlp);
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.CONSUME2(T.NumberLiteral) });
    this.CONSUME(T.RBracket);
    this.OPTION2({
      GATE: () => this.LA(2).tokenType !== T.Colon && this.LA(2).tokenType !== T.LCurly && !(keywords.has(this.LA(1).tokenType) && startsLine(this.LA(1), this.LA(0))),
      DEF: () => this.CONSUME(T.Identifier),
    });
  });

  // section := name block(property)        (regularize, gates, train)
  section = this.RULE("section", () => {
    this.SUBRULE(this.name);
    this.block(this.property);
  });

  // property := name ":" value
  property = this.RULE("property", () => {
    this.SUBRULE(this.name);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.value);
  });

  // value := metricSum | NUMBER | STRING | list | typeExpr
  value = this.RULE("value", () => {
    this.OR({
      // A metric sum starts like a number (`0.7 *`) or a name (`click.`); it comes first and wins.
      IGNORE_AMBIGUITIES: true,
      DEF: [
        { ALT: () => this.SUBRULE(this.metricSum) },
        { ALT: () => this.CONSUME(T.NumberLiteral) },
        { ALT: () => this.SUBRULE(this.string) },
        { ALT: () => this.SUBRULE(this.list) },
        { ALT: () => this.SUBRULE(this.typeExpr) },
      ],
    });
  });

  // metricSum := metricTerm ("+" metricTerm)*          (`0.7 * click.auc + 0.3 * buy.auc`)
  metricSum = this.RULE("metricSum", () => {
    this.SUBRULE(this.metricTerm);
    this.MANY({
      // "+0.3" lexes as a signed number: it continues the sum only when a "*" follows.
      GATE: () => this.LA(1).tokenType === T.Plus || (this.LA(1).tokenType === T.NumberLiteral && this.LA(1).image.startsWith("+") && this.LA(2).tokenType === T.Star),
      DEF: () => {
        this.OPTION(() => this.CONSUME(T.Plus));
        this.SUBRULE2(this.metricTerm);
      },
    });
  });

  // metricTerm := (NUMBER "*")? name "." name           (a task's metric, with its weight)
  metricTerm = this.RULE("metricTerm", () => {
    this.OPTION(() => {
      this.CONSUME(T.NumberLiteral);
      this.CONSUME(T.Star);
    });
    this.SUBRULE(this.name);
    this.CONSUME(T.Dot);
    this.SUBRULE2(this.name);
  });

  // list := "[" (value ("," value)* ","?)? "]"
  list = this.RULE("list", () => {
    this.CONSUME(T.LBracket);
    this.MANY(() => {
      this.SUBRULE(this.value);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });

  // typeExpr := IDENT ("(" (arg ("," arg)* ","?)? ")")?
  typeExpr = this.RULE("typeExpr", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.MANY(() => {
        this.SUBRULE(this.arg);
        this.OPTION2(() => this.CONSUME(T.Comma));
      });
      this.CONSUME(T.RParen);
    });
  });

  // arg := (name ":")? value
  arg = this.RULE("arg", () => {
    this.OPTION({
      GATE: () => this.LA(2).tokenType === T.Colon,
      DEF: () => {
        this.SUBRULE(this.name);
        this.CONSUME(T.Colon);
      },
    });
    this.SUBRULE(this.value);
  });

  // name := IDENT | STRING
  name = this.RULE("name", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Identifier) }, { ALT: () => this.SUBRULE(this.string) }]);
  });

  // string := STRING | UNTERMINATED_STRING      (the latter is reported, then read as a string)
  string = this.RULE("string", () => {
    this.OR([{ ALT: () => this.CONSUME(T.StringLiteral) }, { ALT: () => this.CONSUME(T.UnterminatedString) }]);
  });

  // separator := (";" | ",")?
  separator = this.RULE("separator", () => {
    this.OPTION(() => this.OR([{ ALT: () => this.CONSUME(T.Semicolon) }, { ALT: () => this.CONSUME(T.Comma) }]));
  });

  // Error recovery for blocks. chevrotain re-synchronizes after an error at the next token that
  // may follow the failed rule; every keyword is also a name and nearly every entry starts with a
  // name, so that is the very token that failed: the block then stopped and asked for its '}'
  // there (a second, wrong error). And a block chooses to read an entry on one token, so a line
  // left outside a block by a missing '}' was read as an entry of that block (an error about the
  // entry, not the brace). The helpers below skip what is left of a broken entry, and decide
  // whether a block is left open by trying whole entries (BACKTRACK). Line starts guide only
  // recovery: a correct file parses as before, whatever its line breaks.

  /** The entry rules of the blocks the parser is inside, innermost last. */
  private readonly blocks: ParserMethod<[], CstNode>[] = [];
  /** Set while a rule is tried, so that the blocks inside it do not try entries again. */
  private trying = false;

  /**
   * block(entry) := "{" (entry sep?)* "}"          (the body of every braced block)
   * An entry that fails is reported once and the rest of it skipped (`skipBrokenEntry`); a block
   * whose '}' is missing is reported at the gap where the '}' belongs and ends there
   * (`endsUnclosed`), so the enclosing block reads on.
   */
  private block(entry: ParserMethod<[], CstNode>): void {
    const open = this.CONSUME(T.LCurly);
    let unclosed = false;
    this.blocks.push(entry);
    try {
      for (;;) {
        this.MANY({
          GATE: () => !this.endsUnclosed(),
          DEF: () => {
            const start = this.LA(1);
            const node = this.SUBRULE(entry);
            if (node.recoveredNode) this.ACTION(() => this.skipBrokenEntry(start));
            this.SUBRULE(this.separator);
          },
        });
        if (this.RECORDING_PHASE || this.trying) break;
        unclosed = this.endsUnclosed();
        // A token no entry starts with (a number, a bracket) is reported and skipped with the
        // rest of its line; then the entries go on. One right before the '}' is left to CONSUME,
        // whose recovery drops that token alone.
        const next = this.LA(1);
        if (unclosed || next.tokenType === EOF || next.tokenType === T.RCurly || isName(next) || this.LA(2).tokenType === T.RCurly) break;
        this.report(new MismatchedTokenException(`Expected '}' but found ${found(next)}.`, next, this.LA(0)));
        this.skipBrokenEntry(next);
      }
    } finally {
      this.blocks.pop();
    }
    // A plain `if` around a DSL call: the recording phase always takes the CONSUME, so the
    // grammar chevrotain analyses has the '}' (RECORDING_PHASE exists for this).
    if (unclosed) {
      const next = this.LA(1);
      this.report(new MissingTokenException(`The '{' at ${open.startLine}:${open.startColumn} is not closed: expected '}' before ${found(next)}.`, next, this.LA(0)));
    } else {
      this.CONSUME(T.RCurly);
    }
  }

  /**
   * True when the innermost block's '}' is missing before the next token: it starts a line that
   * the block cannot read as an entry but an enclosing block (or the top level) can. Only a line
   * that starts with a keyword or with `name {` is tried: the items, model entries and level
   * entries that an inner block cannot hold all start so (a `name: value` fits most blocks), and
   * trying every line would parse each entry twice.
   */
  private endsUnclosed(): boolean {
    const next = this.LA(1);
    if (this.trying || next.tokenType === T.RCurly || !startsLine(next, this.LA(0))) return false;
    if (!keywords.has(next.tokenType) && this.LA(2).tokenType !== T.LCurly) return false;
    const [inner, ...outer] = [...this.blocks].reverse();
    return inner !== undefined && !this.tries(inner) && [...outer, this.item].some((rule) => this.tries(rule));
  }

  /** True when the innermost block can read its next entry from the next token. */
  private startsEntry(): boolean {
    const inner = this.blocks[this.blocks.length - 1];
    return inner !== undefined && this.tries(inner);
  }

  /** True when `rule` parses from the next token without an error (nothing is consumed). */
  private tries(rule: ParserMethod<[], CstNode>): boolean {
    const was = this.trying;
    this.trying = true;
    try {
      return this.BACKTRACK(rule).call(this) as boolean;
    } finally {
      this.trying = was;
    }
  }

  /**
   * Skips what is left of an entry that failed from `start`: up to a ';', the block's '}' or the
   * next line, passing over bracketed groups whole (a broken `level x { ... }` goes at once). Not
   * up to a ',': names in a list are separated by commas too, and each would be a new error.
   * After MAX_ERRORS errors, skips to the end of the file.
   */
  private skipBrokenEntry(start: IToken): void {
    const flooded = this.errors.length >= MAX_ERRORS;
    let depth = 0;
    for (let t = this.LA(1); t.tokenType !== EOF; t = this.LA(1)) {
      if (depth === 0 && !flooded && (t.tokenType === T.RCurly || (t !== start && (t.tokenType === T.Semicolon || startsLine(t, this.LA(0)))))) return;
      if (opens(t)) depth++;
      else if (closes(t)) depth = Math.max(0, depth - 1);
      this.SKIP_TOKEN();
    }
  }

  /** Records an error the grammar found itself (chevrotain records those of its DSL calls). */
  private report(error: IRecognitionException): void {
    this.errors = [...this.errors, error];
  }
}

/** One parser instance is reused; chevrotain parsers are stateful but reset on each `input`. */
export const parser = new MssmParser();

/** The result of parsing: a tree (possibly partial), the comments, and the errors met. */
export interface ParseOutput {
  cst: CstNode;
  comments: IToken[];
  lexErrors: { offset: number; length: number; message: string }[];
  parseErrors: IRecognitionException[];
  tokens: IToken[];
}

/** Lexes and parses a .mssm text; never throws for any input. */
export function parseCst(text: string): ParseOutput {
  const lexed = T.mssmLexer.tokenize(text);
  parser.input = lexed.tokens;
  const cst = parser.document();
  return {
    cst,
    comments: lexed.groups["comments"] ?? [],
    lexErrors: lexed.errors.map((e) => ({ offset: e.offset, length: e.length, message: e.message })),
    parseErrors: [...parser.errors],
    tokens: lexed.tokens,
  };
}
