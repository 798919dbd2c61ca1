//! Expensive reads of one class share a bounded number of permits: one
//! beyond them waits a moment, then is answered 503 with `Retry-After`, and
//! the other classes are not slowed.

use actix_web::{App, HttpResponse, test, web};
use std::time::{Duration, Instant};
use twinning::http::limits::Limits;
use twinning::http::routes::{Class, Policy, get, limited, resource};

async fn slow() -> HttpResponse {
    actix_web::rt::time::sleep(Duration::from_millis(400)).await;
    HttpResponse::Ok().body("done")
}

async fn quick() -> HttpResponse {
    HttpResponse::Ok().body("quick")
}

#[actix_web::test]
async fn a_read_beyond_its_class_limit_is_503_after_a_short_wait_and_other_classes_go_on() {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(Limits::new(1, Duration::from_millis(100))))
            .service(limited(
                "/search",
                Policy::NoStore,
                Class::Search,
                [get(slow)],
            ))
            .service(limited(
                "/anniversaries",
                Policy::NoStore,
                Class::Anniversaries,
                [get(quick)],
            ))
            .service(resource("/one", Policy::NoStore, [get(quick)])),
    )
    .await;
    let first = test::call_service(&app, test::TestRequest::get().uri("/search").to_request());
    let second = async {
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        let started = Instant::now();
        let refused =
            test::call_service(&app, test::TestRequest::get().uri("/search").to_request()).await;
        let other = test::call_service(
            &app,
            test::TestRequest::get().uri("/anniversaries").to_request(),
        )
        .await;
        let plain =
            test::call_service(&app, test::TestRequest::get().uri("/one").to_request()).await;
        (refused, other, plain, started.elapsed())
    };
    let (first, (refused, other, plain, waited)) = futures::join!(first, second);
    assert_eq!(first.status().as_u16(), 200);
    assert_eq!(refused.status().as_u16(), 503);
    assert_eq!(
        refused
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap()),
        Some("1")
    );
    let body: serde_json::Value = test::read_body_json(refused).await;
    assert_eq!(body["code"], "overloaded");
    assert!(
        waited < Duration::from_millis(200),
        "refused at once: {waited:?}"
    );
    assert_eq!(
        (other.status().as_u16(), plain.status().as_u16()),
        (200, 200)
    );
    // Once the first is done, its permit is free again.
    let again =
        test::call_service(&app, test::TestRequest::get().uri("/search").to_request()).await;
    assert_eq!(again.status().as_u16(), 200);
}
