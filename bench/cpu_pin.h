// SPDX-License-Identifier: Apache-2.0
// Keeps the timed process on one CPU: a migration in the middle of a batch
// costs far more under emulation than the hook being measured.
#pragma once

namespace syva::bench {

// Pins the calling process (and what it spawns) to the last online CPU,
// leaving CPU 0 to interrupts and the rest of the guest.
void pin_to_last_cpu();

}  // namespace syva::bench
