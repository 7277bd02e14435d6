package runtime

// Version is the semantic version of the hookgen runtime.
const Version = "0.1.0"

// IsAtLeastVersion0_1_0 is referenced by generated code as a compile-time
// check that the runtime linked into a program is at least as new as the
// generator that produced the code. If generated code fails to compile on
// this identifier, upgrade github.com/hookgen/hookgen or regenerate with an
// older hookgen.
const IsAtLeastVersion0_1_0 = true
