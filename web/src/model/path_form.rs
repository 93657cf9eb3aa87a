//! The custom path form as data: its fields as typed, and how they become
//! a `set_path` request, or the field that is wrong and why.
//!
//! The ranges are the protocol's own ([`PathSettings::check`], which the
//! relay runs too), so the form refuses exactly what the relay would. A
//! field keeps its text until the form is applied, and a complaint names
//! the field by the request's key (`client_to_server.loss_percent`) so the
//! form shows it beside that field.

use sockscope_shared::{LinkSettings, PathPreset, PathRequest, PathSettings};

use super::describe::number as written;

/// One setting of a direction of the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkField {
    Delay,
    Jitter,
    Loss,
    Burst,
    Reorder,
    Duplicate,
    Rate,
    Queue,
}

impl LinkField {
    /// Every setting, in the order the form lists them.
    pub const ALL: [LinkField; 8] = [
        LinkField::Delay,
        LinkField::Jitter,
        LinkField::Loss,
        LinkField::Burst,
        LinkField::Reorder,
        LinkField::Duplicate,
        LinkField::Rate,
        LinkField::Queue,
    ];

    /// The setting's key in the request (`delay_ms`).
    pub fn key(self) -> &'static str {
        match self {
            LinkField::Delay => "delay_ms",
            LinkField::Jitter => "jitter_ms",
            LinkField::Loss => "loss_percent",
            LinkField::Burst => "loss_burst",
            LinkField::Reorder => "reorder_percent",
            LinkField::Duplicate => "duplicate_percent",
            LinkField::Rate => "rate_kbps",
            LinkField::Queue => "queue_bytes",
        }
    }

    /// The setting's value in `link`, as the field shows it.
    pub fn text(self, link: &LinkSettings) -> String {
        match self {
            LinkField::Delay => written(link.delay_ms),
            LinkField::Jitter => written(link.jitter_ms),
            LinkField::Loss => written(link.loss_percent),
            LinkField::Burst => written(link.loss_burst),
            LinkField::Reorder => written(link.reorder_percent),
            LinkField::Duplicate => written(link.duplicate_percent),
            LinkField::Rate => link.rate_kbps.to_string(),
            LinkField::Queue => link.queue_bytes.to_string(),
        }
    }
}

/// A field of the form: the MTU, the seed, or a setting of one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PathField {
    Mtu,
    Seed,
    Link {
        client_to_server: bool,
        field: LinkField,
    },
}

impl PathField {
    /// The field's key, as the request and [`PathSettings::check`] name it.
    pub fn key(self) -> String {
        match self {
            PathField::Mtu => "mtu".to_string(),
            PathField::Seed => "seed".to_string(),
            PathField::Link {
                client_to_server,
                field,
            } => format!("{}.{}", direction_key(client_to_server), field.key()),
        }
    }
}

fn direction_key(client_to_server: bool) -> &'static str {
    if client_to_server {
        "client_to_server"
    } else {
        "server_to_client"
    }
}

/// One direction's fields, as typed, in [`LinkField::ALL`]'s order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTexts(pub [String; 8]);

impl LinkTexts {
    /// The fields showing `link`.
    pub fn of(link: &LinkSettings) -> LinkTexts {
        LinkTexts(LinkField::ALL.map(|field| field.text(link)))
    }

    pub fn get(&self, field: LinkField) -> &str {
        LinkField::ALL
            .iter()
            .position(|f| *f == field)
            .and_then(|i| self.0.get(i))
            .map_or("", String::as_str)
    }

    pub fn set(&mut self, field: LinkField, text: String) {
        if let Some(slot) = LinkField::ALL
            .iter()
            .position(|f| *f == field)
            .and_then(|i| self.0.get_mut(i))
        {
            *slot = text;
        }
    }
}

/// The whole form, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTexts {
    pub mtu: String,
    pub seed: String,
    pub client_to_server: LinkTexts,
    pub server_to_client: LinkTexts,
    /// Whether server → client takes client → server's settings.
    pub same_both_ways: bool,
}

impl PathTexts {
    /// The form showing `settings` (the path in force, or a named one to
    /// start from).
    pub fn of(settings: &PathSettings, seed: u64) -> PathTexts {
        PathTexts {
            mtu: settings.mtu.to_string(),
            seed: seed.to_string(),
            client_to_server: LinkTexts::of(&settings.client_to_server),
            server_to_client: LinkTexts::of(&settings.server_to_client),
            same_both_ways: settings.client_to_server == settings.server_to_client,
        }
    }

    /// The text of `field`.
    pub fn get(&self, field: PathField) -> &str {
        match field {
            PathField::Mtu => &self.mtu,
            PathField::Seed => &self.seed,
            PathField::Link {
                client_to_server: true,
                field,
            } => self.client_to_server.get(field),
            PathField::Link {
                client_to_server: false,
                field,
            } => self.server_to_client.get(field),
        }
    }

    /// The form with `field` now reading `text`.
    pub fn with(&self, field: PathField, text: String) -> PathTexts {
        let mut next = self.clone();
        match field {
            PathField::Mtu => next.mtu = text,
            PathField::Seed => next.seed = text,
            PathField::Link {
                client_to_server: true,
                field,
            } => next.client_to_server.set(field, text),
            PathField::Link {
                client_to_server: false,
                field,
            } => next.server_to_client.set(field, text),
        }
        next
    }
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldProblem {
    NotANumber { found: String },
    OutOfRange { found: f64, min: f64, max: f64 },
}

/// A field the form cannot send, by its key (`PathField::key`).
#[derive(Debug, Clone, PartialEq)]
pub struct PathFormError {
    pub field: String,
    pub problem: FieldProblem,
}

/// A decimal as typed: digits, at most one point, nothing else (no sign,
/// no exponent: no setting is negative or needs one). Read through
/// integers, as the page writes numbers (`describe::decimal`), which keeps
/// the float parser out of the page.
pub fn parse_decimal(text: &str) -> Option<f64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || whole.len() > 15
    {
        return None;
    }
    let mut value = 0.0;
    for b in whole.bytes() {
        value = value * 10.0 + f64::from(b - b'0');
    }
    let mut scale = 1.0;
    for b in fraction.bytes().take(9) {
        scale /= 10.0;
        value += f64::from(b - b'0') * scale;
    }
    Some(value)
}

fn number(texts: &PathTexts, field: PathField) -> Result<f64, PathFormError> {
    let text = texts.get(field).trim();
    parse_decimal(text).ok_or_else(|| PathFormError {
        field: field.key(),
        problem: FieldProblem::NotANumber {
            found: text.to_string(),
        },
    })
}

/// A whole number in `0..=max` for `field`.
fn whole(texts: &PathTexts, field: PathField, max: f64) -> Result<u64, PathFormError> {
    let value = number(texts, field)?;
    if value < 0.0 || value > max || value.fract() != 0.0 {
        return Err(PathFormError {
            field: field.key(),
            problem: FieldProblem::OutOfRange {
                found: value,
                min: 0.0,
                max,
            },
        });
    }
    // In range and whole, so the conversion is exact.
    Ok(value as u64)
}

fn link(texts: &PathTexts, client_to_server: bool) -> Result<LinkSettings, PathFormError> {
    let f = |field| PathField::Link {
        client_to_server,
        field,
    };
    Ok(LinkSettings {
        delay_ms: number(texts, f(LinkField::Delay))?,
        jitter_ms: number(texts, f(LinkField::Jitter))?,
        loss_percent: number(texts, f(LinkField::Loss))?,
        loss_burst: number(texts, f(LinkField::Burst))?,
        reorder_percent: number(texts, f(LinkField::Reorder))?,
        duplicate_percent: number(texts, f(LinkField::Duplicate))?,
        rate_kbps: u32::try_from(whole(texts, f(LinkField::Rate), f64::from(u32::MAX))?)
            .unwrap_or(u32::MAX),
        queue_bytes: u32::try_from(whole(texts, f(LinkField::Queue), f64::from(u32::MAX))?)
            .unwrap_or(u32::MAX),
    })
}

/// The `set_path` request the form stands for: a custom path.
///
/// # Errors
/// The first field that is not a number or is out of its range, named by
/// its key.
pub fn custom_request(texts: &PathTexts) -> Result<PathRequest, PathFormError> {
    let mtu = whole(texts, PathField::Mtu, f64::from(u16::MAX))?;
    let seed = whole(texts, PathField::Seed, 9_007_199_254_740_991.0)?;
    let client_to_server = link(texts, true)?;
    let server_to_client = if texts.same_both_ways {
        client_to_server.clone()
    } else {
        link(texts, false)?
    };
    let settings = PathSettings {
        mtu: u16::try_from(mtu).unwrap_or(u16::MAX),
        client_to_server,
        server_to_client,
    };
    settings.check().map_err(|error| PathFormError {
        field: error.field,
        problem: FieldProblem::OutOfRange {
            found: error.found,
            min: error.min,
            max: error.max,
        },
    })?;
    Ok(PathRequest {
        path: PathPreset::Custom,
        seed,
        settings,
    })
}

/// The `set_path` request for a named path (or loopback) with the seed as
/// typed.
///
/// # Errors
/// When the seed is not a whole number.
pub fn named_request(path: PathPreset, seed: &str) -> Result<PathRequest, PathFormError> {
    let texts = PathTexts {
        seed: seed.to_string(),
        ..PathTexts::of(&PathSettings::default(), 1)
    };
    Ok(PathRequest {
        path,
        seed: whole(&texts, PathField::Seed, 9_007_199_254_740_991.0)?,
        settings: PathSettings::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn internet() -> PathTexts {
        PathTexts::of(&PathPreset::Internet.settings().unwrap_or_default(), 7)
    }

    #[test]
    fn a_named_paths_settings_go_through_the_form_unchanged() {
        let request = custom_request(&internet()).map_err(|e| e.field);
        let settings = PathPreset::Internet.settings().unwrap_or_default();
        assert_eq!(
            request,
            Ok(PathRequest {
                path: PathPreset::Custom,
                seed: 7,
                settings,
            })
        );
    }

    #[test]
    fn a_bad_field_is_named_by_its_key() {
        let loss = PathField::Link {
            client_to_server: true,
            field: LinkField::Loss,
        };
        let texts = internet().with(loss, "101".into());
        let error = custom_request(&texts).err();
        assert_eq!(
            error,
            Some(PathFormError {
                field: "client_to_server.loss_percent".into(),
                problem: FieldProblem::OutOfRange {
                    found: 101.0,
                    min: 0.0,
                    max: 100.0
                },
            })
        );
        let texts = internet().with(PathField::Mtu, "500".into());
        assert_eq!(
            custom_request(&texts).map_err(|e| e.field),
            Err("mtu".to_string())
        );
        let texts = internet().with(PathField::Seed, "seven".into());
        let error = custom_request(&texts).err().map(|e| (e.field, e.problem));
        assert_eq!(
            error,
            Some((
                "seed".into(),
                FieldProblem::NotANumber {
                    found: "seven".into()
                }
            ))
        );
    }

    #[test]
    fn the_same_both_ways_copies_client_to_server() {
        let back = PathField::Link {
            client_to_server: false,
            field: LinkField::Delay,
        };
        let mut texts = internet().with(back, "bogus".into());
        texts.same_both_ways = true;
        let request = custom_request(&texts).map_err(|e| e.field);
        assert_eq!(
            request.map(|r| r.settings.server_to_client.delay_ms),
            Ok(20.0)
        );
        texts.same_both_ways = false;
        assert_eq!(
            custom_request(&texts).map_err(|e| e.field),
            Err("server_to_client.delay_ms".to_string())
        );
    }

    #[test]
    fn a_link_goes_dark_with_all_its_packets_lost() {
        let loss = PathField::Link {
            client_to_server: true,
            field: LinkField::Loss,
        };
        let mut texts = internet().with(loss, "100".into());
        texts.same_both_ways = false;
        let request = custom_request(&texts).map_err(|e| e.field);
        assert_eq!(
            request.map(|r| (
                r.settings.client_to_server.loss_percent,
                r.settings.server_to_client.loss_percent
            )),
            Ok((100.0, 0.5))
        );
    }

    #[test]
    fn decimals_are_read_without_sign_or_exponent() {
        assert_eq!(parse_decimal("20"), Some(20.0));
        assert_eq!(parse_decimal("0.5"), Some(0.5));
        assert_eq!(parse_decimal(".25"), Some(0.25));
        assert_eq!(parse_decimal("3."), Some(3.0));
        for bad in ["", ".", "-1", "1e3", "1.2.3", "ten", " 1"] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_named_path_takes_only_the_seed() {
        let request = named_request(PathPreset::Lan, " 3 ").map_err(|e| e.field);
        assert_eq!(request.map(|r| (r.path, r.seed)), Ok((PathPreset::Lan, 3)));
        assert_eq!(
            named_request(PathPreset::Lan, "-1").map_err(|e| e.field),
            Err("seed".to_string())
        );
    }
}
