//! The five questions of the form.

use actix_web::{HttpRequest, HttpResponse, get};

use super::{Page, QueryParams};
use crate::domain::questions::{Question, questions};
use crate::error::ApiError;

/// The five questions, with Danish and English labels, help texts and limits, in form order.
#[utoipa::path(
    tag = "questions",
    responses((status = 200, description = "The questions.", body = Page<Question>))
)]
#[get("/questions")]
pub async fn list_questions(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    Ok(HttpResponse::Ok().json(Page::whole(questions())))
}
