//! What a key may do once it authenticates: only its own distributor, only with the scopes it holds.

use keygate_domain::Limits;
use serde_json::json;

use crate::support::{check_problem, operation, spawn_app, Credential};

#[tokio::test]
async fn a_key_of_one_distributor_cannot_touch_another() {
    let app = spawn_app().await;
    let token = Credential::Bearer(&app.demo_token);
    let cases = [
        ("/api/v1/distributors/other/balance", "another distributor's balance"),
        ("/api/v1/distributors/other/transactions", "another distributor's transactions"),
        ("/api/v1/distributors/Not%20A%20Tenant/balance", "a path that is not even a distributor id"),
    ];
    for (path, why) in cases {
        check_problem(&app.get(path, token).await, 403, "WRONG_TENANT", why);
    }
    let reply = app.post("/api/v1/distributors/other/cash-in", token, &operation("10", "XOF")).await;
    check_problem(&reply, 403, "WRONG_TENANT", "a cash-in on another distributor");
}

#[tokio::test]
async fn a_key_is_held_to_its_scopes() {
    let app = spawn_app().await;
    let (_, balance_only) = app.issue("demo", "balance-monitor", &["balance:read"], Limits::none()).await;
    let token = Credential::Bearer(&balance_only);
    assert_eq!(app.get("/api/v1/distributors/demo/balance", token).await.status, 200, "the scope it holds");
    let reply = app.post("/api/v1/distributors/demo/cash-in", token, &operation("10", "XOF")).await;
    check_problem(&reply, 403, "INSUFFICIENT_SCOPE", "a balance-only key on cash-in");
    assert_eq!(reply.body["missing_scopes"], json!(["operations:write"]), "the problem names the missing scope");
    let reply = app.get("/api/v1/distributors/demo/transactions", token).await;
    check_problem(&reply, 403, "INSUFFICIENT_SCOPE", "a balance-only key on the transactions");
    assert_eq!(app.wallet.balance(&"demo".parse().unwrap()).to_string(), "50000.00", "nothing moved");
}
