/**
 * The layer rules, checked by scripts/dependencies.test.ts (and `npx depcruise --config
 * .dependency-cruiser.cjs stacks components scripts policy workers/src test .github`):
 *
 *   stacks/ ──▶ components/ ──▶ components/runtime/        (the program: config on top, resources, targets)
 *   scripts/, policy/, test/, .github/ ──▶ stacks/, components/   (tools and checks sit above the program)
 *   workers/ is its own package (ESM, own tsconfig): it never imports the root project; the program
 *   reads it only through the worker-config contract, workers/src/contract/settings.json (data).
 *
 * Nothing imports upward: components never import stacks, scripts, policy or tests; stacks never
 * import scripts, policy or tests; policy never imports scripts; components/runtime imports no
 * other component. No import cycles anywhere (static or dynamic imports alike).
 */
module.exports = {
  forbidden: [
    { name: "no-circular", severity: "error", comment: "an import cycle: move the shared piece into its own file", from: {}, to: { circular: true } },
    {
      name: "components-not-upward",
      severity: "error",
      comment: "components/ is below stacks/, scripts/, policy/ and the tests: pass values down instead",
      from: { path: "^components/", pathNot: "\\.test\\.ts$" },
      to: { path: "^(stacks|scripts|policy|test|\\.github)/" },
    },
    {
      name: "component-tests-not-into-tools",
      severity: "error",
      comment: "a component's test may drive the program (stacks/), never the CLI or the policy pack",
      from: { path: "^components/.*\\.test\\.ts$" },
      to: { path: "^(scripts|policy)/" },
    },
    {
      name: "stacks-not-upward",
      severity: "error",
      comment: "stacks/ is the program: scripts/, policy/ and tests read it, never the reverse",
      from: { path: "^stacks/", pathNot: "\\.test\\.ts$" },
      to: { path: "^(scripts|policy|test|\\.github)/" },
    },
    {
      name: "policy-not-into-scripts",
      severity: "error",
      comment: "the policy pack runs inside the engine: it reads the program (stacks/, components/), never the CLI",
      from: { path: "^policy/" },
      to: { path: "^scripts/" },
    },
    {
      name: "runtime-is-the-bottom",
      severity: "error",
      comment: "components/runtime/ (Docker and Kubernetes targets) is the bottom layer of components/",
      from: { path: "^components/runtime/" },
      to: { path: "^components/(?!runtime/)" },
    },
    {
      name: "workers-never-import-the-root",
      severity: "error",
      comment: "workers/ is a separate package: shared declarations live in workers/ and the root imports them",
      from: { path: "^workers/" },
      to: { path: "^(?!workers/)", dependencyTypes: ["local"] },
    },
    {
      name: "program-reads-only-the-worker-contract",
      severity: "error",
      comment: "the program and the policy pack read workers/ only through the worker-config contract (data, plus erased type imports); scripts/ and test/ may drive worker modules",
      from: { path: "^(stacks|components|policy)/" },
      to: { path: "^workers/(?!src/contract/settings\\.json$)", dependencyTypesNot: ["type-only"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".json"] },
  },
};
