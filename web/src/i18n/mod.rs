//! The page's two languages, English and Simplified Chinese.
//!
//! Two of the five tutorials the lessons come from are in Chinese, and
//! their readers read both languages, so every word the page shows comes in
//! both. Interface strings are written where they are used, as a pair
//! (`lang.pick("Run", "运行")`), so each one sits next to its translation
//! and a component's diff stays small; lesson texts come from the lesson
//! files ([`Lang::text`]). [`lesson`] words the lesson panel's states,
//! step results and errors; [`capture`] what the page says about capture
//! files; [`path`] the paths and the network lab (what the path did to a
//! packet, Wireshark's TCP analysis flags); [`refusal`] what the relay refused and what the kernel
//! answered; [`words`] the model terms and facts several views print (socket
//! roles, the link to the relay, phase notes, a conversation's ends).
//!
//! The model never builds a sentence for people: it states facts as enums
//! carrying their numbers, and these modules word each in one exhaustive
//! `match` per language. A fact added without its Chinese is then a
//! compile error, and no English text is ever matched to find its
//! translation, so rewording one language cannot silently leave the
//! other showing English. Diagram labels stay as C and Wireshark
//! write them (`recv(1024) → 15 bytes`, `SYN, ACK`), in both languages, so
//! they match what a learner reads in man pages and captures.
//!
//! The choice is remembered in `localStorage`; the first visit follows the
//! browser's languages. Components read the current language from a Yew
//! context ([`use_lang`]) that `App` provides.

pub mod capture;
pub mod lesson;
pub mod path;
pub mod refusal;
pub mod words;

use sockscope_shared::Text;
use yew::{hook, use_context};

/// A language of the page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    En,
    /// Simplified Chinese.
    Zh,
}

/// Where the choice is kept between visits.
const STORAGE_KEY: &str = "sockscope.lang";

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The English or the Chinese words, as this language needs.
    pub fn pick<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }

    /// A lesson's text in this language, or in the other when a lesson file
    /// left this one out.
    pub fn text(self, text: &Text) -> &str {
        let (mine, other) = match self {
            Lang::En => (&text.en, &text.zh),
            Lang::Zh => (&text.zh, &text.en),
        };
        if mine.trim().is_empty() { other } else { mine }
    }

    /// The BCP 47 tag for `<html lang>` and storage (`zh-CN` picks Chinese
    /// fonts rather than Japanese ones for the shared characters).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// The name of the language, in itself, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "中文",
        }
    }

    /// The page language for a browser language tag (`zh-TW`, `en-GB`).
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language to start with: the stored choice, else the first of the
    /// browser's languages the page speaks, else English.
    pub fn choose(stored: Option<&str>, browser: &[String]) -> Lang {
        stored
            .and_then(Lang::from_tag)
            .or_else(|| browser.iter().find_map(|tag| Lang::from_tag(tag)))
            .unwrap_or_default()
    }
}

/// The language this browser starts with (see [`Lang::choose`]).
pub fn initial() -> Lang {
    let Some(window) = web_sys::window() else {
        return Lang::default();
    };
    let stored = window
        .local_storage()
        .ok()
        .flatten()
        .and_then(|storage| storage.get_item(STORAGE_KEY).ok().flatten());
    let navigator = window.navigator();
    let mut browser: Vec<String> = navigator
        .languages()
        .iter()
        .filter_map(|tag| tag.as_string())
        .collect();
    if let Some(tag) = navigator.language() {
        browser.push(tag);
    }
    Lang::choose(stored.as_deref(), &browser)
}

/// Remembers the learner's choice for the next visit.
pub fn remember(lang: Lang) {
    if let Some(Ok(Some(storage))) = web_sys::window().map(|w| w.local_storage()) {
        // A browser that refuses storage (private mode) just forgets.
        let _ = storage.set_item(STORAGE_KEY, lang.tag());
    }
}

/// Marks the document with the language, so the browser picks fonts (and
/// screen readers a voice) for it.
pub fn mark_document(lang: Lang) {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element());
    if let Some(root) = root {
        // Failing to set an attribute only costs the font choice.
        let _ = root.set_attribute("lang", lang.tag());
    }
}

/// The page's current language, from the context `App` provides.
#[hook]
pub fn use_lang() -> Lang {
    use_context::<Lang>().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_stored_choice_wins_then_the_browser_then_english() {
        assert_eq!(Lang::choose(Some("zh-CN"), &tags(&["en-US"])), Lang::Zh);
        assert_eq!(Lang::choose(Some("en"), &tags(&["zh-CN"])), Lang::En);
        assert_eq!(
            Lang::choose(None, &tags(&["fr-FR", "zh-TW", "en"])),
            Lang::Zh
        );
        assert_eq!(Lang::choose(None, &tags(&["en-GB", "zh"])), Lang::En);
        assert_eq!(Lang::choose(None, &tags(&["de"])), Lang::En);
        assert_eq!(Lang::choose(Some("garbage"), &tags(&["zh_CN"])), Lang::Zh);
    }

    #[test]
    fn a_missing_translation_falls_back_to_the_other_language() {
        let only_en = Text {
            en: "Run".into(),
            zh: String::new(),
        };
        assert_eq!(Lang::Zh.text(&only_en), "Run");
        let both = Text {
            en: "Run".into(),
            zh: "运行".into(),
        };
        assert_eq!(Lang::Zh.text(&both), "运行");
        assert_eq!(Lang::En.text(&both), "Run");
        assert_eq!(Lang::Zh.pick("Step", "单步"), "单步");
    }
}
