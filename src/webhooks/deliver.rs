//! The delivery worker: a task beside the server, never in a request's path.
//! Every `TICK` it turns new changes into deliveries (`queries::fan_out`),
//! takes up to `concurrency` subscriptions whose next delivery is due, and
//! sends each one's deliveries in feed order: a failure waits, with
//! exponential backoff and jitter, before the next attempt, and later
//! changes of that subscription wait behind it. A subscription that failed
//! for longer than the horizon is disabled, saying why. The outbox is in
//! the database, so a restart goes on where it stopped; instances beside
//! each other hold a subscription one at a time (a lease), so each change
//! is sent by one of them.

use super::model::{DeliveryStatus, SubscriptionRow, webhook_id};
use super::queries::{self, Attempt};
use crate::changes::model::Change;
use crate::config::ServeArgs;
use crate::db::Db;
use crate::error::AppError;
use chrono::TimeDelta;
use std::sync::Weak;
use std::time::Duration;

/// How often the worker looks for work.
const TICK: Duration = Duration::from_millis(200);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// Deliveries sent for one subscription before it is let go for others.
const PER_TURN: usize = 100;

#[derive(Debug, Clone)]
pub struct Settings {
    pub timeout: Duration,
    pub concurrency: usize,
    pub allow_private: bool,
    pub backoff: Duration,
    pub give_up: Duration,
}

impl Settings {
    pub fn of(args: &ServeArgs) -> Settings {
        Settings {
            timeout: Duration::from_secs(args.webhook_timeout_secs),
            concurrency: usize::try_from(args.webhook_concurrency).unwrap_or(4),
            allow_private: args.webhook_allow_private,
            backoff: Duration::from_millis(args.webhook_backoff_ms),
            give_up: Duration::from_secs(args.webhook_give_up_secs),
        }
    }

    /// How long a subscription is held while its deliveries are sent.
    fn lease(&self) -> TimeDelta {
        let per = self.timeout.as_secs() + 5;
        TimeDelta::seconds(i64::try_from(per * 4 + 30).unwrap_or(3600))
    }
}

/// Starts the worker; it ends once the server holding `db` has stopped.
pub fn spawn(db: Weak<Db>, settings: Settings) {
    actix_web::rt::spawn(async move {
        let client = match reqwest::Client::builder()
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "twinning-registry-webhooks/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
        {
            Ok(client) => client,
            Err(error) => {
                log::error!("webhooks: no HTTP client, no deliveries: {error}");
                return;
            }
        };
        loop {
            actix_web::rt::time::sleep(TICK).await;
            let Some(db) = db.upgrade() else { return };
            if let Err(error) = round(&db, &client, &settings).await {
                log::warn!("webhooks: {error}");
            }
        }
    });
}

async fn round(db: &Db, client: &reqwest::Client, settings: &Settings) -> Result<(), AppError> {
    let now = crate::clock::now();
    // Reads first: with nothing to do (no subscription, nothing due) the
    // worker writes nothing and never takes the writing connection.
    if !db
        .read_quick(move |conn| queries::has_work(conn, now))
        .await?
    {
        return Ok(());
    }
    db.write(move |conn| queries::fan_out(conn, now)).await?;
    let until = now + settings.lease();
    let limit = i64::try_from(settings.concurrency).unwrap_or(4);
    let claimed = db
        .write(move |conn| queries::claim_due(conn, now, until, limit))
        .await?;
    let turns = claimed
        .into_iter()
        .map(|subscription| turn(db, client, settings, subscription));
    for result in futures_util::future::join_all(turns).await {
        if let Err(error) = result {
            log::warn!("webhooks: {error}");
        }
    }
    Ok(())
}

/// Sends a subscription's due deliveries in feed order, then lets it go.
async fn turn(
    db: &Db,
    client: &reqwest::Client,
    settings: &Settings,
    subscription: SubscriptionRow,
) -> Result<(), AppError> {
    let id = subscription.id;
    let sent = send_due(db, client, settings, &subscription).await;
    db.write(move |conn| queries::release(conn, id)).await?;
    sent
}

async fn send_due(
    db: &Db,
    client: &reqwest::Client,
    settings: &Settings,
    subscription: &SubscriptionRow,
) -> Result<(), AppError> {
    let id = subscription.id;
    for _ in 0..PER_TURN {
        let Some((delivery, change)) = db.read(move |conn| queries::next_pending(conn, id)).await?
        else {
            return Ok(());
        };
        let now = crate::clock::now();
        if delivery.next_attempt_at > now {
            return Ok(());
        }
        let body = serde_json::to_vec(&Change::from(change)).map_err(AppError::internal)?;
        let outcome = send(client, settings, subscription, delivery.change_id, body).await;
        let now = crate::clock::now();
        let failing_for = now - delivery.created_at;
        let attempt = match &outcome {
            Ok(code) if (200..300).contains(code) => Attempt {
                status: DeliveryStatus::Delivered,
                code: Some(*code),
                error: None,
                next: now,
            },
            _ if failing_for
                >= TimeDelta::from_std(settings.give_up).unwrap_or(TimeDelta::days(1)) =>
            {
                Attempt {
                    status: DeliveryStatus::Failed,
                    code: outcome.as_ref().ok().copied(),
                    error: Some(describe(&outcome)),
                    next: now,
                }
            }
            _ => Attempt {
                status: DeliveryStatus::Pending,
                code: outcome.as_ref().ok().copied(),
                error: Some(describe(&outcome)),
                next: now + backoff(settings.backoff, delivery.attempts + 1),
            },
        };
        let delivered = attempt.status == DeliveryStatus::Delivered;
        let failed = attempt.status == DeliveryStatus::Failed;
        let reason = failed.then(|| {
            format!(
                "deliveries failed for longer than {} s; the last attempt: {}",
                settings.give_up.as_secs(),
                describe(&outcome)
            )
        });
        let error = attempt.error.map(str::to_string);
        db.write(move |conn| {
            let attempt = Attempt {
                error: error.as_deref(),
                ..attempt
            };
            queries::record_attempt(conn, &delivery, &attempt, now)?;
            if let Some(reason) = &reason {
                queries::set_enabled(conn, id, false, Some(reason), now)?;
            }
            Ok(())
        })
        .await?;
        if !delivered {
            return Ok(());
        }
    }
    Ok(())
}

fn describe(outcome: &Result<i32, String>) -> &str {
    match outcome {
        Ok(_) => "the receiver answered with an error status",
        Err(error) => error,
    }
}

/// One POST: the receiver's status, or what kept it from answering.
async fn send(
    client: &reqwest::Client,
    settings: &Settings,
    subscription: &SubscriptionRow,
    change_id: i64,
    body: Vec<u8>,
) -> Result<i32, String> {
    let url = url::Url::parse(&subscription.url).map_err(|e| format!("bad URL: {e}"))?;
    if !settings.allow_private {
        super::target::resolves_publicly(&url).await?;
    }
    let id = webhook_id(change_id);
    let timestamp = chrono::Utc::now().timestamp();
    let secrets = subscription.signing_secrets(crate::clock::now());
    let signature = super::sign::signatures(&secrets, &id, timestamp, &body)?;
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                format!("no answer within {} s", settings.timeout.as_secs())
            } else if e.is_connect() {
                "the receiver could not be reached".to_string()
            } else {
                format!("the request failed: {e}")
            }
        })?;
    Ok(i32::from(response.status().as_u16()))
}

/// The wait before attempt `n + 1`: `base` doubled each time, up to an hour,
/// within ±20% so that receivers coming back are not hit all at once.
fn backoff(base: Duration, attempts: i32) -> TimeDelta {
    let exponent = u32::try_from(attempts.clamp(1, 30) - 1).unwrap_or(0);
    let wait = base
        .saturating_mul(2u32.saturating_pow(exponent))
        .min(MAX_BACKOFF);
    let mut random = [0u8; 2];
    let _ = getrandom::fill(&mut random);
    let jitter = 0.8 + 0.4 * f64::from(u16::from_le_bytes(random)) / f64::from(u16::MAX);
    TimeDelta::from_std(wait.mul_f64(jitter)).unwrap_or(TimeDelta::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_its_jitter_up_to_an_hour() {
        let base = Duration::from_secs(1);
        for (attempts, seconds) in [(1, 1.0), (2, 2.0), (3, 4.0), (10, 512.0), (20, 3600.0)] {
            let wait = backoff(base, attempts).as_seconds_f64();
            assert!(
                (seconds * 0.79..=seconds * 1.21).contains(&wait),
                "attempt {attempts}: {wait} s"
            );
        }
    }
}
