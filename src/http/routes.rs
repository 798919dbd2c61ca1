//! How a resource is declared: its path, its cache policy and its methods.
//! Any other method answers 405 with an `Allow` header listing these.
//!
//! ```ignore
//! cfg.service(resource("/events/{id}", Policy::Kept, [get(get_event), delete(delete_event)]));
//! ```

use super::caching;
pub use super::caching::Policy;
use super::fallback::method_not_allowed;
use super::limits;
pub use super::limits::Class;
use actix_web::dev::HttpServiceFactory;
use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{FromRequest, Handler, Responder, web};

/// One method of a resource and its handler.
pub struct MethodRoute(Method, actix_web::Route);

macro_rules! method {
    ($name:ident, $method:ident) => {
        pub fn $name<F, Args>(handler: F) -> MethodRoute
        where
            F: Handler<Args>,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            MethodRoute(
                Method::$method,
                web::route().method(Method::$method).to(handler),
            )
        }
    };
}

method!(get, GET);
method!(post, POST);
method!(patch, PATCH);
method!(put, PUT);
method!(delete, DELETE);

/// A resource at `path` with these methods, under `policy`.
pub fn resource<const N: usize>(
    path: &str,
    policy: Policy,
    routes: [MethodRoute; N],
) -> impl HttpServiceFactory + use<N> {
    build(path, policy, None, routes)
}

/// A resource whose reads are of an expensive `class`, limited in how many
/// run at once (`http::limits`).
pub fn limited<const N: usize>(
    path: &str,
    policy: Policy,
    class: Class,
    routes: [MethodRoute; N],
) -> impl HttpServiceFactory + use<N> {
    build(path, policy, Some(class), routes)
}

fn build<const N: usize>(
    path: &str,
    policy: Policy,
    class: Option<Class>,
    routes: [MethodRoute; N],
) -> impl HttpServiceFactory + use<N> {
    // HEAD is served as GET (`fallback::head_as_get`).
    let allow: Vec<&str> = routes
        .iter()
        .flat_map(|r| match r.0 {
            Method::GET => vec!["GET", "HEAD"],
            ref other => vec![other.as_str()],
        })
        .collect();
    let allow = allow.join(", ");
    let mut resource = web::resource(path);
    for MethodRoute(_, route) in routes {
        resource = resource.route(route);
    }
    resource
        .default_service(web::to(method_not_allowed(allow)))
        .wrap(from_fn(super::fallback::refuse_unread_query))
        // Inside the policy: an answer kept in memory takes no permit.
        .wrap(from_fn(move |req, next| limits::gate(class, req, next)))
        .wrap(from_fn(move |req, next| caching::policy(policy, req, next)))
}
