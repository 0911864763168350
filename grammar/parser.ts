import { CstParser, EOF, tokenLabel, tokenMatcher, type CstNode, type IParserErrorMessageProvider, type IRecognitionException, type IToken, type TokenType } from "chevrotain";
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

/** Messages in the voice of the rest of mssmc: what was expected, what was found. */
const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) => `Expected ${tokenLabel(expected)} but found ${found(actual)}.`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) =>
    `Expected 'import', 'fields', 'tasks' or 'model' at the top level but found ${found(firstRedundant)}.`,
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

class MssmParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 3, nodeLocationTracking: "onlyOffset", errorMessageProvider: messages });
    this.performSelfAnalysis();
  }

  // document := item*
  document = this.RULE("document", () => {
    this.MANY(() => this.SUBRULE(this.item));
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

  // fieldsBlock := "fields" "{" (decl sep?)* "}"
  fieldsBlock = this.RULE("fieldsBlock", () => {
    this.CONSUME(T.Fields);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.decl);
      this.SUBRULE(this.separator);
    });
    this.CONSUME(T.RCurly);
  });

  // tasksBlock := "tasks" "{" (decl sep?)* "}"
  tasksBlock = this.RULE("tasksBlock", () => {
    this.CONSUME(T.Tasks);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.decl);
      this.SUBRULE(this.separator);
    });
    this.CONSUME(T.RCurly);
  });

  // decl := name typeExpr        (a field or a task: `age numeric`, `income binary(label: Y)`)
  decl = this.RULE("decl", () => {
    this.SUBRULE(this.name);
    this.SUBRULE(this.typeExpr);
  });

  // modelDecl := "model" name "{" (modelEntry sep?)* "}"
  modelDecl = this.RULE("modelDecl", () => {
    this.CONSUME(T.Model);
    this.SUBRULE(this.name);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.modelEntry);
      this.SUBRULE(this.separator);
    });
    this.CONSUME(T.RCurly);
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
  nameList = this.RULE("nameList", () => {
    this.SUBRULE(this.name);
    this.MANY({
      GATE: () => this.LA(2).tokenType !== T.Colon && this.LA(2).tokenType !== T.LCurly,
      DEF: () => {
        this.CONSUME(T.Comma);
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

  // levelBlock := "level" NUMBER "{" (levelEntry sep?)* "}"
  levelBlock = this.RULE("levelBlock", () => {
    this.CONSUME(T.Level);
    this.CONSUME(T.NumberLiteral);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.levelEntry);
      this.SUBRULE(this.separator);
    });
    this.CONSUME(T.RCurly);
  });

  // levelEntry := "experts" ":" mlpSpec | "experts" "{" (namedExperts sep?)* "}" | connectEntry | property
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
              {
                ALT: () => {
                  this.CONSUME(T.LCurly);
                  this.MANY(() => {
                    this.SUBRULE(this.namedExperts);
                    this.SUBRULE(this.separator);
                  });
                  this.CONSUME(T.RCurly);
                },
              },
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

  // towersBlock := "towers" "{" (towerEntry sep?)* "}"
  towersBlock = this.RULE("towersBlock", () => {
    this.CONSUME(T.Towers);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.towerEntry);
      this.SUBRULE(this.separator);
    });
    this.CONSUME(T.RCurly);
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
  //   activation := IDENT, unless it starts the next `name:` entry
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
      GATE: () => this.LA(2).tokenType !== T.Colon && this.LA(2).tokenType !== T.LCurly,
      DEF: () => this.CONSUME(T.Identifier),
    });
  });

  // section := name "{" (property sep?)* "}"        (regularize, gates, train)
  section = this.RULE("section", () => {
    this.SUBRULE(this.name);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.property);
      this.SUBRULE(this.separator);
    });
    this.CONSUME(T.RCurly);
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
