//! Filing verdicts into windows: placed by bracket, by `retry_after`, or counted in both.

use super::*;

fn at(seconds: i64, millis: u32) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, millis * 1_000_000).unwrap()
}

fn answer(sent: (i64, u32), received: (i64, u32), verdict: Verdict) -> Answer {
    Answer { sent: at(sent.0, sent.1), received: at(received.0, received.1), process: 0, verdict }
}

#[test]
fn answers_are_filed_where_the_server_counted_them() {
    let rate = RateLimit::new("r", 1000, 10).unwrap();
    let answers = [
        answer((1003, 0), (1003, 1), Verdict::Allowed),
        answer((1009, 999), (1010, 1), Verdict::Refused { retry_after: 1 }),
        answer((1009, 999), (1010, 1), Verdict::Refused { retry_after: 10 }),
        answer((1009, 999), (1010, 1), Verdict::Allowed),
        answer((1012, 0), (1012, 1), Verdict::Refused { retry_after: 5 }),
        answer((1012, 0), (1012, 1), Verdict::Other),
    ];
    let filed = Filed::of(&answers, &rate);
    let w = |start: i64| filed.windows.get(&start).copied().unwrap_or_default();
    assert_eq!((w(1000).allowed, w(1000).straddling, w(1000).refused), (1, 1, 1), "first window");
    assert_eq!((w(1010).allowed, w(1010).straddling, w(1010).refused), (0, 1, 1), "second window");
    assert_eq!(filed.unresolved, 1, "retry_after 5 matches no second of 1012");
    assert_eq!(filed.other, 1, "another answer is counted apart");
    assert_eq!(filed.max(), 2, "a straddling allowed answer counts in both windows");
    assert_eq!(filed.words(), "1000:1+1/1,1010:0+1/1");
}
