//! The open(2) flags the model looks at, as Linux defines them (no `libc` needed).
//!
//! These are the asm-generic values, used by x86, x86-64, arm, aarch64, riscv and powerpc;
//! alpha, mips, parisc and sparc number them differently and are refused at build time.

#[cfg(not(any(
    target_arch = "x86",
    target_arch = "x86_64",
    target_arch = "arm",
    target_arch = "aarch64",
    target_arch = "riscv64",
    target_arch = "powerpc64",
    target_arch = "loongarch64",
    target_arch = "s390x"
)))]
compile_error!("motcua-powercut knows the Linux open flags of the asm-generic architectures only");

/// `O_EXCL`.
pub const O_EXCL: i32 = 0o200;
/// `O_TRUNC`.
pub const O_TRUNC: i32 = 0o1000;
/// `O_DSYNC`: every write is durable (data and what is needed to read it back) on return.
pub const O_DSYNC: i32 = 0o10000;
/// `O_SYNC` (`__O_SYNC | O_DSYNC`): every write is durable, metadata included, on return.
pub const O_SYNC: i32 = 0o4010000;
