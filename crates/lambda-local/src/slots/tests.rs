//! The slots' unit tests: stale polls, closing, durations, retiring.

use super::*;
use crate::stats::DURATIONS_KEPT;

#[tokio::test]
async fn a_dead_processes_poll_takes_nothing() {
    let d = Slots::new(1, Duration::from_secs(5), |_, _| {});
    let g = d.generation(Some(0));
    d.process_ended(0, "gone");
    let (_, rx) = d.submit(Bytes::from_static(b"{}"), true);
    assert!(matches!(d.next(Some(0), g).await, Next::Stale));
    let Next::Invocation(inv) = d.next(Some(0), d.generation(Some(0))).await else {
        panic!("an invocation was queued");
    };
    assert!(d.is_running(&inv.request_id));
    d.process_ended(0, "exit status: 3");
    assert_eq!(
        rx.unwrap().await.unwrap(),
        Outcome::Crashed("exit status: 3".into())
    );
    assert!(!d.complete(&inv.request_id, Outcome::Response(Bytes::new())));
}

#[tokio::test]
async fn closing_answers_queued_and_new_invocations() {
    let d = Slots::new(1, Duration::from_secs(5), |_, _| {});
    let (_, queued) = d.submit(Bytes::new(), true);
    d.close("stopping");
    let (_, late) = d.submit(Bytes::new(), true);
    for rx in [queued, late] {
        assert_eq!(
            rx.unwrap().await.unwrap(),
            Outcome::Unavailable("stopping".into())
        );
    }
    assert!(matches!(d.next(None, 0).await, Next::Closed));
}

#[tokio::test]
async fn answered_invocations_keep_their_duration_and_only_the_latest_are_kept() {
    let d = Slots::new(1, Duration::from_secs(5), |_, _| {});
    let run = |outcome: Outcome, runs_for: Duration| {
        let d = d.clone();
        async move {
            let _ = d.submit(Bytes::new(), false);
            let Next::Invocation(inv) = d.next(None, 0).await else {
                panic!("an invocation was queued");
            };
            tokio::time::sleep(runs_for).await;
            assert!(d.complete(&inv.request_id, outcome));
        }
    };
    let ms5 = Duration::from_millis(5);
    run(Outcome::Response(Bytes::new()), ms5).await;
    let error = Outcome::FunctionError {
        error_type: "E".into(),
        body: Bytes::new(),
    };
    run(error, ms5).await;
    run(Outcome::Crashed("exit status: 1".into()), ms5).await;
    let durations = d.durations.all();
    assert_eq!(durations.len(), 2, "a crash has no duration: {durations:?}");
    assert!(durations.iter().all(|t| *t >= Duration::from_millis(5)));
    for _ in 0..DURATIONS_KEPT {
        run(Outcome::Response(Bytes::new()), Duration::ZERO).await;
    }
    assert_eq!(d.durations.all().len(), DURATIONS_KEPT);
}

#[tokio::test]
async fn a_retired_process_finishes_its_invocation_then_takes_nothing() {
    let killed = Arc::new(Mutex::new(Vec::new()));
    let k = killed.clone();
    let d = Slots::new(1, Duration::from_secs(5), move |s, g| {
        k.lock().unwrap().push((s, g));
    });
    let kills = || killed.lock().unwrap().clone();
    let g = d.generation(Some(0));
    let (_, first) = d.submit(Bytes::new(), true);
    let Next::Invocation(inv) = d.next(Some(0), g).await else {
        panic!("an invocation was queued");
    };
    d.retire();
    assert!(kills().is_empty(), "not killed mid-invocation");
    assert!(d.complete(&inv.request_id, Outcome::Response(Bytes::new())));
    assert!(matches!(first.unwrap().await, Ok(Outcome::Response(_))));
    let (_, second) = d.submit(Bytes::new(), true);
    assert!(matches!(d.next(Some(0), g).await, Next::Stale));
    assert_eq!(kills(), [(0, g)]);
    // Until its kill lands, its polls (at the current generation) take nothing.
    assert!(matches!(
        d.next(Some(0), d.generation(Some(0))).await,
        Next::Stale
    ));
    d.process_ended(0, "killed");
    let fresh = d.generation(Some(0));
    assert!(matches!(d.next(Some(0), fresh).await, Next::Invocation(_)));
    drop(second);
    // A process waiting for an invocation is replaced at once.
    d.process_ended(0, "killed");
    let idle = d.generation(Some(0));
    let waiting = tokio::spawn({
        let d = d.clone();
        async move { d.next(Some(0), idle).await }
    });
    while d.lock().slots[0].polling == 0 {
        tokio::task::yield_now().await;
    }
    d.retire();
    assert!(matches!(waiting.await.unwrap(), Next::Stale));
    assert_eq!(kills().last(), Some(&(0, idle)));
    // One between two requests (its poll may be on its way) when it asks.
    d.process_ended(0, "killed");
    let between = d.generation(Some(0));
    d.retire();
    assert_ne!(kills().last(), Some(&(0, between)));
    assert!(matches!(d.next(Some(0), between).await, Next::Stale));
    assert_eq!(kills().last(), Some(&(0, between)));
    assert_eq!(
        d.lock().slots[0].polling,
        0,
        "every poll is uncounted when it ends"
    );
}

#[tokio::test]
async fn a_process_silent_after_answering_while_events_wait_is_stalled() {
    let d = Slots::new(1, Duration::from_secs(30), |_, _| {});
    let g = d.generation(Some(0));
    let after = Duration::from_millis(50);
    let (_, first) = d.submit(Bytes::new(), true);
    let Next::Invocation(inv) = d.next(Some(0), g).await else {
        panic!("an invocation was queued");
    };
    // Busy: never stalled, however long it runs (its deadline is another matter).
    let (_, second) = d.submit(Bytes::new(), true);
    tokio::time::sleep(after * 2).await;
    assert_eq!(d.stalled(0, g, after), None, "busy");
    assert!(d.complete(&inv.request_id, Outcome::Response(Bytes::new())));
    drop(first);
    assert_eq!(d.stalled(0, g, after), None, "it just answered");
    tokio::time::sleep(after * 2).await;
    assert!(d.stalled(0, g, after).is_some(), "silent while one waits");
    // Retired at once: a poll it makes before its kill lands takes nothing.
    assert!(d.is_retired(0, g));
    assert!(matches!(d.next(Some(0), g).await, Next::Stale));
    d.process_ended(0, "killed");
    let fresh = d.generation(Some(0));
    assert_eq!(d.stalled(0, fresh, after), None, "a fresh process");
    let Next::Invocation(inv) = d.next(Some(0), fresh).await else {
        panic!("the waiting invocation");
    };
    assert!(d.complete(&inv.request_id, Outcome::Response(Bytes::new())));
    assert!(matches!(second.unwrap().await, Ok(Outcome::Response(_))));
    // Nothing waits: a silent process harms nobody and stays.
    tokio::time::sleep(after * 2).await;
    assert_eq!(d.stalled(0, fresh, after), None, "nothing waits");
}
