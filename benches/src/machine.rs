//! What machine the numbers came from.

use std::time::{SystemTime, UNIX_EPOCH};

use procstore_report::Machine;

/// Describes this machine and process; `name` is the folder under
/// `reports/` it was given, if any.
pub fn describe(name: Option<String>) -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let (emulated, emulation_evidence) = emulation(std::env::consts::ARCH, &cpuinfo);
    Machine {
        arch: std::env::consts::ARCH.to_owned(),
        os: std::env::consts::OS.to_owned(),
        cpu_model: cpu_model(&cpuinfo),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
        rustc: env!("PROCSTORE_RUSTC_VERSION").to_owned(),
        emulated,
        emulation_evidence,
        heavy_barrier: heavy_barrier().to_owned(),
        finished_unix: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        name,
    }
}

/// The heavy barrier seize picks at its first collector, by the query seize
/// makes: the `membarrier` system call if it offers the private expedited
/// commands (seize then registers for them, and would fall back if that
/// failed, which this probe does not try); otherwise seize's `mprotect`
/// trick. Outside Linux, a `SeqCst` fence.
fn heavy_barrier() -> &'static str {
    #[cfg(target_os = "linux")]
    {
        const QUERY: libc::c_int = 0;
        const PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
        const REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;
        // SAFETY: membarrier's query command reads and writes no memory of ours.
        let offered = unsafe { libc::syscall(libc::SYS_membarrier, QUERY, 0) };
        let both = PRIVATE_EXPEDITED | REGISTER_PRIVATE_EXPEDITED;
        if offered >= 0 && offered & both == both {
            "membarrier (private expedited)"
        } else {
            "mprotect (membarrier not offered)"
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        "SeqCst fence"
    }
}

fn cpu_model(cpuinfo: &str) -> String {
    let field = |name: &str| {
        cpuinfo.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == name).then(|| value.trim().to_owned())
        })
    };
    field("model name")
        .or_else(|| field("Model"))
        .or_else(|| {
            // Arm Linux names the core only by implementer and part numbers.
            let (implementer, part) = (field("CPU implementer")?, field("CPU part")?);
            Some(format!("Arm implementer {implementer} part {part}"))
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Whether this binary runs under an emulator. qemu-user shows the host's
/// `/proc/cpuinfo` to the guest, so an x86 cpuinfo under an Arm binary (or
/// the reverse) gives it away; scripts that start qemu also say so in
/// `PROCSTORE_EMULATOR`.
pub fn emulation(arch: &str, cpuinfo: &str) -> (bool, String) {
    if let Ok(emulator) = std::env::var("PROCSTORE_EMULATOR")
        && !emulator.is_empty()
    {
        return (true, format!("PROCSTORE_EMULATOR={emulator}"));
    }
    let x86_host = cpuinfo.contains("vendor_id") && cpuinfo.contains("flags");
    let arm_host = cpuinfo.contains("CPU implementer");
    match arch {
        "aarch64" | "arm" if x86_host => (true, "an x86 /proc/cpuinfo under an Arm binary".into()),
        "x86_64" | "x86" if arm_host => (true, "an Arm /proc/cpuinfo under an x86 binary".into()),
        _ => (false, String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_binary_on_x86_cpuinfo_is_emulated() {
        let x86 = "vendor_id\t: GenuineIntel\nflags\t\t: fpu sse\nmodel name\t: Xeon\n";
        assert!(emulation("aarch64", x86).0 || std::env::var("PROCSTORE_EMULATOR").is_ok());
        if std::env::var("PROCSTORE_EMULATOR").is_err() {
            assert!(!emulation("x86_64", x86).0);
        }
        assert_eq!(cpu_model(x86), "Xeon");
    }

    #[test]
    fn arm_cpuinfo_names_implementer_and_part() {
        let arm = "processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n";
        assert_eq!(cpu_model(arm), "Arm implementer 0x41 part 0xd0c");
    }
}
