//! What opening a conversation costs the database, counted from the driver's own account: sqlx
//! reports every statement it runs, with the rows it returned, as a `sqlx::query` tracing event.
//! The counter is process-wide, so these checks are a test binary of their own with one test.

#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;

use futures_util::SinkExt;
use helpers::*;
use protocol::{ClientEvent, ConversationId, ServerEvent};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// One statement as the driver reported it.
#[derive(Clone, Debug, Default)]
struct Statement {
    sql: String,
    rows_returned: u64,
}

impl Visit for Statement {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "db.statement" {
            self.sql = value.to_owned();
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "rows_returned" {
            self.rows_returned = value;
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record_u64(field, value.max(0) as u64);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "db.statement" {
            self.sql = format!("{value:?}");
        }
    }
}

/// Every statement run in this process, in order.
#[derive(Clone, Default)]
struct StatementLog(Arc<Mutex<Vec<Statement>>>);

impl<S: tracing::Subscriber> Layer<S> for StatementLog {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            let mut statement = Statement::default();
            event.record(&mut statement);
            // The webhook dispatcher's own rounds (its lease, the outbox, which types are
            // wanted) run every few hundred milliseconds whatever clients do: not a join's cost.
            if !statement.sql.contains("webhook_") {
                self.0.lock().unwrap().push(statement);
            }
        }
    }
}

impl StatementLog {
    fn installed() -> Self {
        let log = Self::default();
        let subscriber = tracing_subscriber::registry().with(log.clone());
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        log
    }

    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// The statements run since `mark`, once the server has been quiet for a moment (what a
    /// request sets off after its reply counts too).
    async fn since(&self, mark: usize) -> Vec<Statement> {
        let mut seen = self.len();
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let now = self.len();
            if now == seen {
                break;
            }
            seen = now;
        }
        self.0.lock().unwrap()[mark..].to_vec()
    }
}

/// What one join cost: (statements, the most rows any returned, rows returned in all).
fn cost(statements: &[Statement]) -> (usize, u64, u64) {
    let most = statements
        .iter()
        .map(|s| s.rows_returned)
        .max()
        .unwrap_or(0);
    let all = statements.iter().map(|s| s.rows_returned).sum();
    (statements.len(), most, all)
}

async fn native_join(
    log: &StatementLog,
    client: &mut TestClient,
    group: ConversationId,
) -> Vec<Statement> {
    let mark = log.len();
    client
        .send(ClientEvent::JoinConversation {
            conversation_id: group,
        })
        .await;
    client
        .expect(|e| matches!(e, ServerEvent::ConversationJoined { .. }))
        .await;
    log.since(mark).await
}

async fn gateway_join(
    log: &StatementLog,
    stream: &mut Stream,
    group: ConversationId,
) -> Vec<Statement> {
    let mark = log.len();
    let (ack, _) = join_and_listen(stream, group).await;
    assert_eq!(ack[0]["ok"], true, "{ack}");
    log.since(mark).await
}

#[tokio::test]
async fn opening_a_conversation_costs_the_same_statements_whatever_its_size() {
    let log = StatementLog::installed();
    let app = spawn_app().await;
    let (users, big) = app.seed_group(2000).await;
    // A small group with the same first member, seeded the same way.
    let (small_users, small) = app.seed_group(3).await;
    let mut in_big = app.connect(&users[0]).await;
    let mut in_small = app.connect(&small_users[0]).await;
    // Half the big group is online, so that presence has something to say.
    let mut online = Vec::new();
    for chunk in users[1..1000].chunks(50) {
        online.extend(futures_util::future::join_all(chunk.iter().map(|u| app.connect(u))).await);
    }
    // Warm what a first statement warms (prepared statements, the pool).
    native_join(&log, &mut in_small, small).await;
    in_small
        .send(ClientEvent::LeaveConversation {
            conversation_id: small,
        })
        .await;
    log.since(log.len()).await;

    let small_cost = native_join(&log, &mut in_small, small).await;
    let big_cost = native_join(&log, &mut in_big, big).await;
    let (n_small, _, _) = cost(&small_cost);
    let (n_big, most, all) = cost(&big_cost);
    assert_eq!(
        n_big, n_small,
        "a join costs the same statements in a group of 2,000 as in one of 3:\n{big_cost:#?}\n{small_cost:#?}"
    );
    // The member list is never read: the notification check is all there is.
    assert!(n_big <= 1 && most <= 1 && all <= 1, "{big_cost:#?}");

    // Through the gateway: one bounded read of at most 51 member ids, whatever the size (a
    // group of at most 50 has its members' presence read too, to push it on join).
    let (mut stream, connected) =
        socketio(&app, &serde_json::json!({ "token": users[1000].token })).await;
    assert_eq!(connected[0], "connected");
    let big_cost = gateway_join(&log, &mut stream, big).await;
    let (n_big, most, all) = cost(&big_cost);
    assert!(
        most <= 51 && all <= 60,
        "the gateway reads at most 51 members on a join: {big_cost:#?}"
    );
    let (mut small_stream, _) =
        socketio(&app, &serde_json::json!({ "token": small_users[1].token })).await;
    let small_cost = gateway_join(&log, &mut small_stream, small).await;
    assert!(
        n_big <= small_cost.len(),
        "a big group costs no more than a small one: {big_cost:#?}\n{small_cost:#?}"
    );
    stream.send(Message::Close(None)).await.ok();
    drop(online);
}
