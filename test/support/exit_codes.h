// SPDX-License-Identifier: Apache-2.0
// Exit codes of the processes the kernel tests fork or exec to make one
// attempt (run_in() children, Target processes, the zone probe in a
// container). Such a process reports the kernel's answer as its exit status:
// 0 when the attempt succeeded, else the errno it got. The codes below say
// instead that the attempt was never made, or never finished, because of
// something else; a test expecting 0 or EPERM then fails and the status names
// the cause. Several are errno numbers too, none that a hook answers with.
//
// Plain C (test/tools/zone_probe.c includes it) and plain int, so a lambda
// may return one of these or an errno alike.
#pragma once

// A Target's setup (bind, listen, chdir, dup2, ...) failed: it exits before
// it reports ready, which fails the test that waits for it.
#define SYVA_TEST_EXIT_TARGET_SETUP 90

// A step that prepares the attempt failed (a pipe, an O_PATH open, a
// pidfd_open, a private mount namespace, ...). An attempt with several such
// steps uses them in order, so the status says which one broke.
#define SYVA_TEST_EXIT_STEP1 100
#define SYVA_TEST_EXIT_STEP2 101
#define SYVA_TEST_EXIT_STEP3 102
#define SYVA_TEST_EXIT_STEP4 103
#define SYVA_TEST_EXIT_STEP5 104

// The attempt ended in neither of the outcomes the test tells apart: e.g. a
// descriptor passed over a socket that was neither refused (MSG_CTRUNC) nor
// received intact.
#define SYVA_TEST_EXIT_NO_VERDICT 105

// The zone probe was called with an unknown action or the wrong arguments.
#define SYVA_TEST_EXIT_USAGE 125
// The zone probe's `fork` child did not exit normally (a signal killed it).
#define SYVA_TEST_EXIT_CHILD_KILLED 126
// exec of the probe or of `syva` failed: the binary is missing or cannot run
// (the shell's "command not found").
#define SYVA_TEST_EXIT_EXEC_FAILED 127

// run_in()'s or a Target's child could not join its cgroup: not a verdict of
// the attempt, which run_in() rejects outright.
#define SYVA_TEST_EXIT_JOIN_CGROUP 200
