//! Pictures, video and audio an article carries: one shape for what clients send, what is
//! stored (a JSON array on the article row) and what is shown, as ninjs `associations` with
//! `renditions` and the NYT's `multimedia` model them. Ingest validates it (`ingest::input`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::vocab::MediaKind;

/// A picture, video or audio item of an article, in one or more renditions.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "picture",
    "uri": "https://turan.az/media/2022/01/blinken-press.jpg",
    "caption": "Secretary of State Antony Blinken speaks to reporters at the State Department.",
    "credit": "TURAN",
    "copyright": "© 2022 TURAN",
    "alt_text": "Antony Blinken at a lectern",
    "lead": true,
    "renditions": [
        {"href": "https://turan.az/media/2022/01/blinken-press-1200.jpg", "width": 1200, "height": 800, "content_type": "image/jpeg"},
        {"href": "https://turan.az/media/2022/01/blinken-press-400.jpg", "width": 400, "height": 267, "content_type": "image/jpeg"}
    ]
}))]
pub struct Media {
    /// What the item is; `picture` when absent.
    #[serde(default)]
    pub kind: MediaKind,
    /// The item's own identifier or page, when it has one (a ninjs `uri`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// The caption printed with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Who made it or supplied it: photographer, agency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
    /// The copyright notice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copyright: Option<String>,
    /// A text equivalent for readers who cannot see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
    /// Whether it is the article's lead picture: at most one is; when none is marked, the first
    /// picture is.
    #[serde(default)]
    pub lead: bool,
    /// The files of the item, at least one: sizes and formats of the same picture.
    pub renditions: Vec<Rendition>,
}

/// One file of a media item.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rendition {
    /// Where the file is: an absolute http or https URL.
    #[schema(example = "https://turan.az/media/2022/01/blinken-press-1200.jpg")]
    pub href: String,
    /// Width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, example = 1200)]
    pub width: Option<u32>,
    /// Height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, example = 800)]
    pub height: Option<u32>,
    /// The file's media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "image/jpeg")]
    pub content_type: Option<String>,
}

/// An article's picture as lists show it: the lead picture's widest rendition, with its texts.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[schema(example = json!({
    "href": "https://turan.az/media/2022/01/blinken-press-1200.jpg",
    "width": 1200,
    "height": 800,
    "content_type": "image/jpeg",
    "caption": "Secretary of State Antony Blinken speaks to reporters at the State Department.",
    "credit": "TURAN",
    "alt_text": "Antony Blinken at a lectern"
}))]
pub struct Image {
    /// Where the file is.
    pub href: String,
    /// Width in pixels, when known.
    pub width: Option<u32>,
    /// Height in pixels, when known.
    pub height: Option<u32>,
    /// The file's media type, when known.
    pub content_type: Option<String>,
    /// The caption printed with it.
    pub caption: Option<String>,
    /// Who made it or supplied it.
    pub credit: Option<String>,
    /// A text equivalent for readers who cannot see it.
    pub alt_text: Option<String>,
}

/// The picture lists show: the lead picture's widest rendition (one without a width counts as
/// narrowest).
pub fn lead_image(media: &[Media]) -> Option<Image> {
    let lead = media
        .iter()
        .find(|m| m.lead && m.kind == MediaKind::Picture)?;
    let widest = lead
        .renditions
        .iter()
        .max_by_key(|r| (r.width.unwrap_or(0), r.height.unwrap_or(0)))?;
    Some(Image {
        href: widest.href.clone(),
        width: widest.width,
        height: widest.height,
        content_type: widest.content_type.clone(),
        caption: lead.caption.clone(),
        credit: lead.credit.clone(),
        alt_text: lead.alt_text.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendition(href: &str, width: Option<u32>) -> Rendition {
        Rendition {
            href: href.to_owned(),
            width,
            height: None,
            content_type: None,
        }
    }

    #[test]
    fn the_lead_image_is_the_lead_pictures_widest_rendition() {
        let mut picture = Media {
            kind: MediaKind::Picture,
            uri: None,
            caption: Some("A caption".to_owned()),
            credit: None,
            copyright: None,
            alt_text: None,
            lead: false,
            renditions: vec![
                rendition("https://x.example/s.jpg", Some(400)),
                rendition("https://x.example/l.jpg", Some(1200)),
                rendition("https://x.example/n.jpg", None),
            ],
        };
        assert_eq!(
            lead_image(std::slice::from_ref(&picture)),
            None,
            "not the lead"
        );
        picture.lead = true;
        let image = lead_image(&[picture]).unwrap();
        assert_eq!(image.href, "https://x.example/l.jpg");
        assert_eq!(image.caption.as_deref(), Some("A caption"));
    }
}
