import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.js";

// `npm run test:unit`: the tests a developer runs in the edit loop. It leaves out what spawns the
// CLI, a language server, Python, Chromium or SwiftShader, what runs training loops, and the
// crash-injection and fuzz suites; `npm test` runs everything.
export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [
        "**/node_modules/**",
        "test/cli/**",
        "test/bench/**",
        "test/editor/lsp*.test.ts",
        "test/specs/zoo.test.ts",
        "test/compiler/compile.test.ts",
        "test/compiler/onnx/checker.test.ts",
        "test/compiler/train-step-zoo.test.ts",
        "test/compiler/train-step-sgd.test.ts",
        "test/compiler/train-zoo-synthetic.test.ts",
        "test/runtime/export.test.ts",
        "test/runtime/inspect.test.ts",
        "test/runtime/prune.test.ts",
        "test/runtime/report.test.ts",
        "test/runtime/reliability/**",
        "test/runtime/device-webgpu.test.ts",
        "test/runtime/importance-truth.test.ts",
        "test/runtime/train.test.ts",
        "test/runtime/freeze.test.ts",
        "test/runtime/sparse-step.test.ts",
        "test/fuzz/**",
      ],
    },
  }),
);
