#!/usr/bin/env node
import { Command, CommanderError, Option } from "commander";
import { compilerVersion } from "../compiler/package-root.js";
import { InvariantError } from "../compiler/source/diagnostic.js";
import { runCheck } from "./check.js";
import { OPSETS, runCompile } from "./compile.js";
import { runFmt } from "./fmt.js";
import { runJson } from "./json.js";

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
  .action((spec: string, opts: { out: string; opset: string }) => {
    exitCode = runCompile(spec, { out: opts.out, opset: Number(opts.opset) });
  });

try {
  await program.parseAsync(process.argv);
  process.exitCode = exitCode;
} catch (e) {
  if (e instanceof CommanderError) {
    // --help and --version end through here with code 0.
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    const internal = e instanceof InvariantError ? "internal error" : "unexpected internal error";
    process.stderr.write(`mssmc: ${internal}: ${e instanceof Error ? e.message : String(e)}\nThis is a bug in mssmc; please report it with the command you ran.\n`);
    if (process.env["MSSMC_DEBUG"] && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exitCode = 70;
  }
}
