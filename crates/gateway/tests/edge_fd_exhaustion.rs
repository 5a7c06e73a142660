//! Out of file descriptors, the gateway neither spins on its accept errors nor dies: it
//! serves again once descriptors free. Its own test binary, as it lowers the process's
//! open-files limit.

#[path = "integration/common.rs"]
mod common;

use common::TestGateway;
use std::time::Duration;
use tokio::net::TcpSocket;
use wsproxy_gateway::{ConnectionLimits, GatewayConfig};

/// CPU time this process has used (user + system), in clock ticks (1/100 s on Linux), read
/// from `/proc/self/stat` opened beforehand.
fn cpu_ticks(stat: &mut std::fs::File) -> u64 {
    use std::io::{Read as _, Seek as _};
    stat.rewind().unwrap();
    let mut stat_line = String::new();
    stat.read_to_string(&mut stat_line).unwrap();
    let stat = stat_line;
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_descriptors_the_accept_loop_backs_off_and_recovers() {
    let gw = TestGateway::start(GatewayConfig {
        limits: ConnectionLimits {
            // The cap would protect the gateway; this test is about what is behind it.
            max_connections: Some(100_000),
            ..Default::default()
        },
        ..GatewayConfig::default()
    })
    .await;
    let mut stat = std::fs::File::open("/proc/self/stat").unwrap();
    let clients: Vec<TcpSocket> = (0..8).map(|_| TcpSocket::new_v4().unwrap()).collect();

    // No descriptor left: every number below the soft limit is taken.
    let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    let highest = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
        .max()
        .unwrap();
    rlimit::setrlimit(rlimit::Resource::NOFILE, highest + 1, hard).unwrap();
    let mut fillers = Vec::new();
    while let Ok(f) = std::fs::File::open("/dev/null") {
        fillers.push(f);
    }

    // Connecting needs no new descriptor on this side; accepting needs one on the gateway's.
    let mut pending = Vec::new();
    for c in clients {
        pending.push(c.connect(gw.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = cpu_ticks(&mut stat);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let used = cpu_ticks(&mut stat) - before;
    assert!(
        used < 20,
        "{used} ticks of CPU in 1 s while accept fails: the accept loop spins"
    );

    drop(fillers);
    rlimit::setrlimit(rlimit::Resource::NOFILE, soft, hard).unwrap();
    let (_ws, _id) = gw.connect("").await;
}
