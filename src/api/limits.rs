//! Time limits on a request once its head is read: its body must keep arriving, and the whole
//! answer must be ready within a bound, whatever the database does. A frozen database (a stopped
//! process still holds its sockets open, so no TCP timeout fires) would otherwise hold the
//! request, its connection and its memory for as long as it stays frozen.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{ConnectionType, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::error::{ApiError, Problem};

/// The bounds, from the server's settings.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The longest wait for the next bytes of a request body.
    pub body_idle: Duration,
    /// The longest a request may take from its head to its answer.
    pub request: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_idle: Duration::from_secs(5),
            // The statement timeout (10 s) and two seconds for the rest of the request.
            request: Duration::from_secs(12),
        }
    }
}

/// The middleware: the body read with [`Limits::body_idle`] between its chunks, and the answer
/// within [`Limits::request`], else a 503 problem with `Retry-After`. That one leaves as an
/// error for actix to answer: the request cannot be kept aside to build a response with, since
/// routing needs it unshared.
pub async fn bound(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, HeldBody>>, actix_web::Error> {
    let limits = req
        .app_data::<web::Data<Limits>>()
        .map_or_else(Limits::default, |limits| *limits.get_ref());
    let has_body = req.headers().contains_key(header::CONTENT_LENGTH)
        || req.headers().contains_key(header::TRANSFER_ENCODING);
    // A request without a body (most of them: every read) has nothing to time out or hold.
    let unread = has_body.then(|| Rc::new(RefCell::new(req.take_payload())));
    if let Some(unread) = &unread {
        req.set_payload(stalling_ends(unread.clone(), limits.body_idle));
    }
    let response = match tokio::time::timeout(limits.request, next.call(req)).await {
        Ok(response) => response?,
        Err(_) => {
            return Err(ApiError::Unavailable(format!(
                "the answer took longer than the request timeout ({} s)",
                limits.request.as_secs()
            ))
            .into());
        }
    };
    let Some(unread) = unread else {
        return Ok(response.map_into_left_body());
    };
    let stalled = response.response().error().is_some_and(is_stalled_body);
    let response = if stalled {
        // The client stopped sending: nothing more is read on this connection.
        let (req, _) = response.into_parts();
        let mut answer = Problem::new(
            StatusCode::REQUEST_TIMEOUT,
            Some(format!(
                "the request body stopped arriving: no bytes for {} s",
                limits.body_idle.as_secs()
            )),
        )
        .into_response();
        answer.head_mut().set_connection_type(ConnectionType::Close);
        ServiceResponse::new(req, answer)
    } else {
        response.map_into_boxed_body()
    };
    // The body's reader is kept until the answer is written: actix closes the connection after
    // answering a request whose body is still arriving, but keeps reading (and discarding) a
    // chunked one whose reader is gone, for as long as the client trickles it in.
    Ok(response.map_body(|_, body| {
        EitherBody::right(HeldBody {
            body,
            _unread: unread,
        })
    }))
}

/// An answer's body, holding the request body's reader until it is written.
pub struct HeldBody {
    body: BoxBody,
    _unread: Rc<RefCell<Payload>>,
}

impl MessageBody for HeldBody {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.body).poll_next(cx)
    }
}

/// The body as it arrives, ending in a timed-out error when no bytes came for `idle`.
fn stalling_ends(payload: Rc<RefCell<Payload>>, idle: Duration) -> Payload {
    let stream = futures_util::stream::unfold(Some(payload), move |payload| async move {
        let payload = payload?;
        let next = tokio::time::timeout(
            idle,
            std::future::poll_fn(|cx| payload.borrow_mut().poll_next_unpin(cx)),
        )
        .await;
        match next {
            Ok(Some(chunk)) => Some((chunk, Some(payload))),
            Ok(None) => None,
            Err(_) => Some((Err(stalled(idle)), None)),
        }
    });
    Payload::from(Box::pin(stream) as BoxedBody)
}

/// What a request body is, as a stream of its own.
type BoxedBody = Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>;

fn stalled(idle: Duration) -> PayloadError {
    PayloadError::Io(io::Error::new(
        io::ErrorKind::TimedOut,
        format!("no bytes of the body for {} s", idle.as_secs()),
    ))
}

/// Whether `error` is a body that stopped arriving: a 408, not a malformed request.
fn is_stalled_body(error: &actix_web::Error) -> bool {
    matches!(
        error.as_error::<PayloadError>(),
        Some(PayloadError::Io(e)) if e.kind() == io::ErrorKind::TimedOut
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn a_body_that_stops_arriving_ends_in_a_timeout() {
        // One chunk, then nothing more, ever.
        let stalled = futures_util::stream::iter([Ok(Bytes::from_static(b"{\"head"))])
            .chain(futures_util::stream::pending());
        let payload = Payload::from(Box::pin(stalled) as BoxedBody);
        let mut body = stalling_ends(Rc::new(RefCell::new(payload)), Duration::from_millis(50));
        assert_eq!(
            body.next().await.unwrap().unwrap(),
            Bytes::from_static(b"{\"head")
        );
        let error = body.next().await.unwrap().unwrap_err();
        assert!(is_stalled_body(&error.into()));
        assert!(
            body.next().await.is_none(),
            "the body ends after the timeout"
        );
    }
}
