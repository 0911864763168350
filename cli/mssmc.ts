#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { compilerVersion } from "../base/package-root.js";
import { InvariantError } from "../base/source/diagnostic.js";
import { DEVICES, type Device } from "../runtime/device.js";
import { runCheck } from "./check.js";
import { OPSETS, runCompile } from "./compile.js";
import { runFmt } from "./fmt.js";
import { runInspect } from "./inspect.js";
import { runEval } from "./eval.js";
import { runExport } from "./export.js";
import { runJson } from "./json.js";
import { runPredict } from "./predict.js";
import { runSynth, type SynthCommandOptions } from "./synth.js";
import { runReport } from "./report-html.js";
import { runTrain, type TrainCommandOptions } from "./train.js";
import { reportedUserError } from "./user-errors.js";

// The command-line entry point: argument parsing only; each command lives in its own file and
// returns an exit code. Usage errors exit with 2, user errors with 1, internal errors with 70.

const program = new Command();
program
  .name("mssmc")
  .description("Compile, train and export multi-task recommendation models written in the .mssm language.")
  .version(compilerVersion(), "-V, --version")
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

let exitCode = 0;

program
  .command("check")
  .description("Check specs for errors and print diagnostics (file:line:col) with a code frame.")
  .argument("<files...>", ".mssm or .json spec files")
  .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
  .action((files: string[], opts: { format: "text" | "json" }) => {
    exitCode = runCheck(files, { format: opts.format });
  });

program
  .command("fmt")
  .description("Format .mssm files in place in the canonical style, keeping every comment.")
  .argument("<files...>", ".mssm files")
  .addOption(new Option("--check", "write nothing; list the files that are not formatted and exit 1 if any").conflicts("stdout"))
  .option("--stdout", "print the formatted text instead of writing the files")
  .action((files: string[], opts: { check?: boolean; stdout?: boolean }) => {
    exitCode = runFmt(files, { check: !!opts.check, stdout: !!opts.stdout });
  });

program
  .command("json")
  .description("Print a checked spec in its canonical JSON form, every default filled in.")
  .argument("<spec>", ".mssm or .json spec file")
  .option("-o, --output <file>", "write to a file instead of standard output")
  .action((spec: string, opts: { output?: string }) => {
    exitCode = runJson(spec, opts.output);
  });

program
  .command("compile")
  .description("Compile a spec into an artifact folder: manifest.json, train.onnx (one training step) and eval.onnx.")
  .argument("<spec>", ".mssm or .json spec file")
  .requiredOption("-o, --out <dir>", "the artifact folder to write")
  .addOption(new Option("--opset <n>", "ONNX opset of the default domain").choices(OPSETS.map(String)).default("17"))
  .addOption(new Option("--device <device>", "the device the graphs are compiled for (webgpu: wide nodes narrowed to its limits)").choices(DEVICES).default("cpu"))
  .option("--placement", "open each graph on --device and list the nodes onnxruntime runs on the CPU and the copies between devices")
  .action(async (spec: string, opts: { out: string; opset: string; device: Device; placement?: boolean }) => {
    exitCode = await runCompile(spec, { out: opts.out, opset: Number(opts.opset), device: opts.device, placement: !!opts.placement });
  });

/** Parses a command-line number, or fails as a usage error. */
function numberOption(kind: "integer" | "positive integer" | "number" | "non-negative number" | "fraction") {
  return (text: string): number => {
    const x = Number(text);
    const ok =
      text.trim() !== "" &&
      Number.isFinite(x) &&
      (kind === "number" ? x > 0 : kind === "non-negative number" ? x >= 0 : kind === "fraction" ? x > 0 && x < 1 : Number.isInteger(x) && (kind === "integer" ? x >= 0 : x > 0));
    if (!ok) throw new InvalidArgumentError(`expected a ${kind === "number" ? "positive number" : kind === "fraction" ? "fraction between 0 and 1" : kind === "integer" ? "non-negative integer" : kind}, got "${text}"`);
    return x;
  };
}

/** Parses --delimiter: one character, or `tab` / `\t` for a tab. */
function delimiterOption(text: string): string {
  if (text === "tab" || text === "\\t") return "\t";
  if ([...text].length !== 1 || text === '"' || text === "\n" || text === "\r") throw new InvalidArgumentError(`expected one character other than a quote or line break (or "tab"), got ${JSON.stringify(text)}`);
  return text;
}
const delimiterHelp = "the cell delimiter of delimited text files (default: sniffed from the header line among , tab ; |)";

const deviceOption = () => new Option("--device <device>", "where onnxruntime runs").choices(DEVICES).default("cpu");
const threadsOption = () => new Option("--threads <n>", "onnxruntime intra-op threads (0: onnxruntime chooses; a fixed number keeps runs bit-reproducible)").argParser(numberOption("integer")).default(1);

program
  .command("train")
  .description("Compile a spec into RUN_DIR/artifact and train it on a CSV file: checkpoints, metrics.jsonl and preprocessing.json go to RUN_DIR.")
  .argument("<spec>", ".mssm or .json spec file")
  .requiredOption("--data <file>", "training data: CSV/TSV (with a header row, .gz too), Parquet or JSON lines; a file, a glob or a (hive-partitioned) folder")
  .option("--valid <file>", "validation data (as --data)")
  .option("--delimiter <char>", delimiterHelp, delimiterOption)
  .option("--valid-fraction <f>", "hold out this fraction of the training rows (seeded random split) for validation", numberOption("fraction"))
  .option("--stream", "read the training data from its files each epoch (seeded block shuffle) instead of loading it; chosen by itself when it would not fit in memory")
  .requiredOption("--out <dir>", "the run folder")
  .option("--epochs <n>", "override train.epochs", numberOption("positive integer"))
  .option("--batch <n>", "override train.batch", numberOption("positive integer"))
  .option("--lr <x>", "override the dense optimizer's learning rate (optimizer.lr)", numberOption("number"))
  .option("--seed <n>", "override train.seed", numberOption("integer"))
  .option("--gate-lr <x>", "override the gate optimizer's learning rate (gate_optimizer.lr)", numberOption("number"))
  .option("--l0 <x>", "override regularize.l0 (λ0, the weight of the expected L0 norm of the cell gates)", numberOption("non-negative number"))
  .option("--l0-fields <x>", "override regularize.l0_fields (λF, the weight of the expected L0 norm of the field gates)", numberOption("non-negative number"))
  .option("--gate-warmup <n>", "override train.gate_warmup (epochs the gates hold still before they train)", numberOption("integer"))
  .option("--l2 <x>", "override regularize.l2", numberOption("non-negative number"))
  .option("--init-drop <p>", "override gates.init_drop", numberOption("fraction"))
  .option("--select-offset <b>", "override gates.select_offset (FSCM's offset; 0 is the paper's form)", numberOption("non-negative number"))
  .addOption(new Option("--gate-noise <how>", "override gates.noise: draw the L0 gates' noise per step, per example, or per example for the field gates only").choices(["per_step", "per_example", "per_example_fields"]))
  .addOption(threadsOption())
  .addOption(deviceOption())
  .option("--skip-bad-rows", "skip and count rows that cannot be read instead of stopping at the first")
  .option("--resume", "continue the run in --out from its last checkpoint")
  .option("--force", "train afresh even if --out already holds a run, replacing it")
  .option("--no-prune-during-training", "never freeze closed L0 gates during training (sets train.prune_during_training: false)")
  .option("--no-validate-fields", "never close fields by the field check on the validation rows (sets train.validate_fields: false)")
  .addOption(new Option("--stop-at-step <n>", "stop after this many steps in all (then --resume)").argParser(numberOption("positive integer")).hideHelp())
  .action(async (spec: string, opts: Omit<TrainCommandOptions, "skipBadRows" | "resume" | "force"> & { skipBadRows?: boolean; resume?: boolean; force?: boolean }) => {
    exitCode = await runTrain(spec, { ...opts, skipBadRows: !!opts.skipBadRows, resume: !!opts.resume, force: !!opts.force });
  });

program
  .command("synth")
  .description(
    "Write synthetic data. --recipe mmoe (default): two regression tasks with a chosen task correlation (the MMoE paper's recipe), numeric columns x0..x{d-1}, labels y1, y2. " +
      "--recipe fields: three tasks (click, buy: binary; dwell: regression) that depend on known, partly overlapping sets of categorical, numeric and multi_hot fields, plus noise fields; " +
      "writes truth.json (each task's fields), fields.mssm (declarations to import) and recipe.json (with the best achievable test metrics).",
  )
  .requiredOption("--out <dir>", "the folder to write train.csv, valid.csv and test.csv into")
  .addOption(new Option("--recipe <name>", "which data").choices(["mmoe", "fields"]).default("mmoe"))
  .option("--rows <train,valid,test>", "rows of each split, or of the training split alone (default 10000,1000,1000 for mmoe, 30000,5000,10000 for fields)")
  .addOption(new Option("--format <format>", "mmoe: the files' format").choices(["csv", "parquet"]).default("csv"))
  .option("--seed <n>", "seed of every draw", numberOption("integer"), 1)
  .option("--correlation <p>", "mmoe: task correlation p in [-1, 1] (the cosine of the two tasks' weight vectors; default 0.5)", (text: string) => {
    const x = Number(text);
    if (text.trim() === "" || !Number.isFinite(x)) throw new InvalidArgumentError(`expected a number in [-1, 1], got "${text}"`);
    return x;
  })
  .option("--dim <d>", "mmoe: input dimension (default 100)", numberOption("positive integer"))
  .option("--noise-fields <n>", "fields: fields no task reads (default 4)", numberOption("integer"))
  .option("--overlap <q>", "fields: share of each task's fields that every task reads, in [0, 1] (default 0.5)", numberOption("non-negative number"))
  .option("--fields-per-task <n>", "fields: informative fields per task (default 4)", numberOption("positive integer"))
  .option("--label-noise <s>", "fields: standard deviation of the label noise; the signal has variance 1 (default 0.5)", numberOption("number"))
  .option("--noise-kinds <kinds>", "fields: the kinds noise fields take in turn, from low_cat, numeric, high_cat (1,000 ids), multi_hot (default low_cat,numeric)")
  .action(async (opts: SynthCommandOptions) => {
    exitCode = await runSynth(opts);
  });

program
  .command("eval")
  .description("Evaluate a trained run on a labelled CSV file: each task's metrics.")
  .argument("<run>", "the run folder written by mssmc train")
  .requiredOption("--data <file>", "labelled data (as train --data)")
  .option("--delimiter <char>", delimiterHelp, delimiterOption)
  .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
  .addOption(new Option("--checkpoint <which>", "which weights").choices(["best", "last"]).default("best"))
  .addOption(threadsOption())
  .addOption(deviceOption())
  .option("--skip-bad-rows", "skip and count rows that cannot be read")
  .action(async (run: string, opts: { data: string; format: "text" | "json"; checkpoint: "best" | "last"; threads: number; device: Device; skipBadRows?: boolean; delimiter?: string }) => {
    exitCode = await runEval(run, { ...opts, skipBadRows: !!opts.skipBadRows });
  });

program
  .command("predict")
  .description("Score data with a trained run: one column per task, rows in input order.")
  .argument("<run>", "the run folder written by mssmc train")
  .requiredOption("--data <file>", "data with the input columns, labels not needed (as train --data)")
  .option("--delimiter <char>", delimiterHelp, delimiterOption)
  .option("--keep <columns>", "copy these input columns (comma-separated, e.g. row ids) into the output, before the scores", (text: string) => text.split(",").map((c) => c.trim()))
  .option("-o, --output <file>", "write the scores here instead of standard output: Parquet for a .parquet name, else CSV")
  .addOption(new Option("--checkpoint <which>", "which weights").choices(["best", "last"]).default("best"))
  .addOption(threadsOption())
  .addOption(deviceOption())
  .option("--skip-bad-rows", "skip and count rows that cannot be read (they get no score row)")
  .action(async (run: string, opts: { data: string; output?: string; checkpoint: "best" | "last"; threads: number; device: Device; skipBadRows?: boolean; delimiter?: string; keep?: string[] }) => {
    exitCode = await runPredict(run, { ...opts, skipBadRows: !!opts.skipBadRows });
  });

program
  .command("export")
  .description("Export a trained run as one self-contained ONNX model: raw columns in (strings, floats with NaN for missing), one score output per task.")
  .argument("<run>", "the run folder written by mssmc train")
  .requiredOption("-o, --output <file>", "the .onnx file to write")
  .addOption(new Option("--checkpoint <which>", "which weights").choices(["best", "last"]).default("best"))
  .addOption(new Option("--opset <n>", "ONNX opset of the default domain").choices(OPSETS.map(String)).default("17"))
  .option("--no-prune", "keep what closed L0 gates cut (by default it is removed)")
  .action(async (run: string, opts: { output: string; checkpoint: "best" | "last"; opset: string; prune: boolean }) => {
    exitCode = await runExport(run, { output: opts.output, checkpoint: opts.checkpoint, opset: Number(opts.opset), prune: opts.prune });
  });

program
  .command("inspect")
  .description(
    "Show a trained model's sparsity: field selection per group, the open gates of every connection, and parameters and multiply-adds before and after pruning; " +
      "with --data, also each field's permutation importance per task and the mean weights of softmax gates.",
  )
  .argument("<run>", "the run folder written by mssmc train, or its checkpoints/best.ckpt or last.ckpt")
  .option("--data <file>", "CSV whose rows the field selection, importance (labels needed) and gate weights are measured on")
  .option("--sample <n>", "rows of --data to measure on, spread evenly", numberOption("positive integer"), 2000)
  .option("--repeats <n>", "shuffles per field for permutation importance", numberOption("positive integer"), 3)
  .option("--seed <n>", "seed of the shuffles", numberOption("integer"), 1)
  .addOption(new Option("--checkpoint <which>", "which weights").choices(["best", "last"]).default("best"))
  .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
  .action(async (run: string, opts: { data?: string; sample: number; repeats: number; seed: number; checkpoint: "best" | "last"; format: "text" | "json" }) => {
    exitCode = await runInspect(run, opts);
  });

program
  .command("report")
  .description("Write one self-contained HTML page about a trained run: training curves, field selection next to permutation importance, softmax gate usage, connections and pruning.")
  .argument("<run>", "the run folder written by mssmc train, or its checkpoints/best.ckpt or last.ckpt")
  .requiredOption("-o, --output <file>", "the .html file to write")
  .option("--data <file>", "CSV whose rows the field selection, importance (labels needed) and gate weights are measured on")
  .option("--sample <n>", "rows of --data to measure on, spread evenly", numberOption("positive integer"), 2000)
  .option("--repeats <n>", "shuffles per field for permutation importance", numberOption("positive integer"), 3)
  .option("--seed <n>", "seed of the shuffles", numberOption("integer"), 1)
  .addOption(new Option("--checkpoint <which>", "which weights").choices(["best", "last"]).default("best"))
  .action(async (run: string, opts: { output: string; data?: string; sample: number; repeats: number; seed: number; checkpoint: "best" | "last" }) => {
    exitCode = await runReport(run, opts);
  });

program
  .command("lsp")
  .description("Run the .mssm language server (diagnostics, hover, completion, navigation, rename, formatting) for editors.")
  .requiredOption("--stdio", "speak the Language Server Protocol on standard input and output")
  .action(async () => {
    // Each keystroke re-parses the file, which allocates many short-lived objects; with V8's default
    // young generation that is mostly garbage collection (a 2,000-line spec checks in ~25 ms with a
    // 64 MB semi-space, ~40 ms without). The flag only works at start-up, so the server runs in a
    // child node process with it, sharing this process's standard input and output.
    if (!process.execArgv.some((a) => a.startsWith("--max-semi-space-size"))) {
      const { spawn } = await import("node:child_process");
      const child = spawn(process.execPath, ["--max-semi-space-size=64", ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], { stdio: "inherit" });
      for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, () => child.kill(signal));
      exitCode = await new Promise<number>((done) => child.on("exit", (code) => done(code ?? 1)));
      return;
    }
    // Loaded on demand so the other commands do not pay for the protocol library.
    const { startLanguageServer } = await import("../editor/lsp/server.js");
    startLanguageServer(process.stdin, process.stdout);
  });

// `mssmc help CMD` as commander does it, except that an unknown CMD is a usage error saying so
// (commander printed the general help for it).
program.helpCommand(false);
program
  .command("help")
  .description("display help for command")
  .argument("[command]", "the command to describe")
  .action((name: string | undefined) => {
    if (name === undefined) return program.help();
    const command = program.commands.find((c) => c.name() !== "help" && (c.name() === name || c.aliases().includes(name)));
    return command ? command.help() : program.error(`error: unknown command '${name}'`);
  });

try {
  await program.parseAsync(process.argv);
  process.exitCode = exitCode;
} catch (e) {
  if (e instanceof CommanderError) {
    // --help and --version end through here with code 0.
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else if (reportedUserError(e)) {
    // A command that did not go through reportUserErrors: the user's files or machine, still not a bug.
    process.exitCode = 1;
  } else {
    const internal = e instanceof InvariantError ? "internal error" : "unexpected internal error";
    process.stderr.write(`mssmc: ${internal}: ${e instanceof Error ? e.message : String(e)}\nThis is a bug in mssmc; please report it with the command you ran.\n`);
    if (process.env["MSSMC_DEBUG"] && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exitCode = 70;
  }
}
