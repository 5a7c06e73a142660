//! Churn: many sockets open, some reset abruptly (TCP RST, no close frame) while the others
//! send chat and feed messages that broadcast to them; afterwards the registry holds exactly
//! the live sockets. Runs in every setup. In the `dynamodb` setup the table is on dynalite
//! (`scripts/dynalite.sh`, started by scripts/test.sh), not moto: moto's Queries read the
//! whole table in Python, too slowly for 2,000 sockets (see `sockets`).

use futures::stream::{self, StreamExt as _};
use serde_json::json;
use std::time::Duration;
use wsproxy_e2e::{Client, Harness, Options, Setup, TestBackend};
use wsproxy_gateway::ConnectionLimits;

/// Sockets opened: 2,000 in memory and on dynalite; 30 in the Lambda setup, whose function
/// runs on moto (debug build: 30 took 18 s; on moto 2,000 never settle: its index Queries
/// answer about 20 a second at 2,000 items and a 1,000-item partition takes over 2 s, so
/// requests time out and deletes are lost). `WSPROXY_CHURN_SOCKETS` sets the count.
fn sockets(setup: Setup) -> usize {
    if let Some(n) = std::env::var("WSPROXY_CHURN_SOCKETS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return n;
    }
    match setup {
        Setup::Memory | Setup::DynamoDb => 2000,
        Setup::Lambda => 30,
    }
}

/// Bookings the chat sockets are spread over.
const BOOKINGS: usize = 20;
/// Connects in flight at once.
const IN_FLIGHT: usize = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_abrupt_drops_the_registry_holds_the_live_sockets() {
    let n = sockets(Setup::from_env());
    // Two descriptors a socket (client and gateway ends in this process) and some spare.
    rlimit::increase_nofile_limit(2 * n as u64 + 512).expect("raising the open-file limit");
    let backend = TestBackend::start().await;
    // The test opens its sockets as fast as it can: neither the new-connection rate nor a cap
    // derived from this process's descriptors is what it measures.
    let limits = ConnectionLimits {
        new_connections_per_second: 0,
        max_connections: Some(n + 256),
        ..ConnectionLimits::default()
    };
    let options = Options {
        limits,
        dynamodb_endpoint: dynalite(),
        ..Options::default()
    };
    let gateway = Harness::start_with(&backend.url, options).await;

    // Half feed sockets, half chat sockets of the owners of 20 bookings.
    let urls: Vec<String> = (0..n)
        .map(|i| match i % 2 {
            0 => gateway.ws_url("type=feed"),
            _ => {
                let b = (i / 2) % BOOKINGS;
                gateway.ws_url(&format!("type=chat&booking_id=b{b}&token=tok-o_b{b}"))
            }
        })
        .collect();
    let opened: Vec<Client> = stream::iter(urls)
        .map(|url| async move { Client::open(&url).await })
        .buffered(IN_FLIGHT)
        .collect()
        .await;
    gateway.wait_for_items(n).await;

    // One socket in 20 (feed and chat alike) is reset while 2 feed and 2 chat sockets of
    // each booking talk, their messages broadcasting to the dying sockets too.
    let (doomed, clients): (Vec<_>, Vec<_>) = opened
        .into_iter()
        .enumerate()
        .partition(|(i, _)| i % 40 == 10 || i % 40 == 31);
    let doomed: Vec<Client> = doomed.into_iter().map(|(_, c)| c).collect();
    let mut clients: Vec<Client> = clients.into_iter().map(|(_, c)| c).collect();
    let dropped = doomed.len();
    let talking = (4 * BOOKINGS).min(clients.len() / 2);
    let mut talkers: Vec<Client> = clients.drain(..talking).collect();
    let talk = async {
        for round in 0..3 {
            for (i, client) in talkers.iter_mut().enumerate() {
                client
                    .send_json(&json!({"text": format!("round {round} from {i}")}))
                    .await;
            }
        }
    };
    let reset = async {
        for (i, client) in doomed.into_iter().enumerate() {
            client.reset();
            if i % 10 == 0 {
                tokio::task::yield_now().await;
            }
        }
    };
    tokio::join!(talk, reset);

    let live = clients.len() + talkers.len();
    assert_eq!(live, n - dropped);
    wait_for_live(&gateway, live).await;
    drop(talkers);
    drop(clients);
    wait_for_live(&gateway, 0).await;
    gateway.shutdown().await;
}

/// The dynalite of the `dynamodb` setup (`WSPROXY_DYNALITE_URL`); `None` in the others.
fn dynalite() -> Option<String> {
    if Setup::from_env() != Setup::DynamoDb {
        return None;
    }
    let url = std::env::var("WSPROXY_DYNALITE_URL").unwrap_or_default();
    assert!(
        !url.is_empty(),
        "the dynamodb setup's churn runs on dynalite: run scripts/test.sh, or \
         eval \"$(scripts/dynalite.sh start)\" first"
    );
    Some(url)
}

/// Polls the registry until it holds `live` items (generous deadline: the close path and
/// the stale-item cleanup of broadcasts are asynchronous).
async fn wait_for_live(gateway: &wsproxy_e2e::Harness, live: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let count = gateway.items().count().await;
        if count == live {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the registry holds {count} items, {live} sockets are live"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
