//! Folding Vietnamese text for search: "Nguyễn Văn An" and "nguyen van an" fold to the same key.
//!
//! Folding is: canonical decomposition (NFD), dropping every combining mark (the tone and vowel
//! marks), mapping đ/Đ to d explicitly (đ is a letter of its own, not d plus a mark, so NFD leaves
//! it alone, and so is its look-alike Ð), lower-casing, turning everything that is not a letter or a digit into a space, and
//! collapsing runs of spaces.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds text for diacritic- and case-insensitive matching.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        // U+00D0/U+00F0 (eth) are a common stand-in for Đ/đ in typed Vietnamese.
        let c = match c {
            'đ' | 'Đ' | 'Ð' | 'ð' => 'd',
            c => c,
        };
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The folded word suffixes of a name, longest first: "Nguyễn Văn An" gives "nguyen van an",
/// "van an" and "an", so a search matches the start of any word run (family name, middle and
/// given name, or given name alone).
pub fn word_suffixes(name: &str) -> Vec<String> {
    let folded = fold(name);
    let mut out = Vec::new();
    let mut rest = folded.as_str();
    while !rest.is_empty() {
        out.push(rest.to_owned());
        rest = match rest.split_once(' ') {
            Some((_, tail)) => tail,
            None => "",
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese() {
        assert_eq!(fold("Nguyễn Văn An"), "nguyen van an");
        assert_eq!(fold("ĐẶNG  Thị   Ðào"), "dang thi dao");
        assert_eq!(fold("  Trần-Thị Bình. "), "tran thi binh");
        assert_eq!(fold("Lê Hữu Đức 2"), "le huu duc 2");
        assert_eq!(fold(""), "");
        // Precomposed and decomposed input fold alike.
        assert_eq!(fold("Nguye\u{302}\u{303}n"), "nguyen");
    }

    #[test]
    fn suffixes() {
        assert_eq!(
            word_suffixes("Nguyễn Văn An"),
            vec!["nguyen van an", "van an", "an"]
        );
        assert!(word_suffixes(" - ").is_empty());
    }
}
