import { main } from "./program";

// The entry `pulumi up` runs from Pulumi.yaml; scripts/stack runs the same main() inline. The
// stack's outputs are the module's exports: only those this target has.
export = main();
