// SPDX-License-Identifier: Apache-2.0
// What the enforcer throws, so a caller can tell a kernel that cannot run
// Syva (exit 3) from any other failure.
#pragma once

#include <stdexcept>

namespace syva {

// The kernel cannot run Syva (no BPF-LSM, no BTF, ...): a clear reason.
class KernelUnsupported : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

class EnforcerError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A policy change refused or undone whole: the policy enforced before it
// still is.
class PolicyNotApplied : public EnforcerError {
  using EnforcerError::EnforcerError;
};

}  // namespace syva
