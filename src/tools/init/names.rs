//! Ids from texts, and the order of answers: what a person would have typed.

use std::collections::BTreeSet;

/// Words that carry no meaning in an id ("What are your top concerns…" → `top_concerns`).
const STOPWORDS: &[&str] = &[
    "a", "about", "all", "an", "and", "any", "apply", "are", "be", "belong", "by", "can", "did",
    "do", "does", "for", "from", "has", "have", "how", "i", "if", "in", "is", "it", "its", "live",
    "me", "my", "of", "on", "or", "our", "please", "select", "that", "the", "their", "this", "to",
    "was", "we", "were", "what", "when", "which", "who", "will", "with", "would", "you", "your",
];

/// Significant words of an id at most.
const ID_WORDS: usize = 4;

/// An id for `text` not yet in `taken`: its significant words, lowercase ASCII, joined by
/// `_`, cut at a word (never inside one); `fallback` when no word is left.
pub(crate) fn id_for(text: &str, fallback: &str, taken: &mut BTreeSet<String>) -> String {
    let folded: String = text
        .chars()
        .filter(|c| *c != '\'' && *c != '’')
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    let all: Vec<&str> = folded.split_whitespace().collect();
    let significant: Vec<&str> = all
        .iter()
        .copied()
        .filter(|w| !STOPWORDS.contains(w))
        .collect();
    let words = if significant.is_empty() {
        all
    } else {
        significant
    };
    let mut id = String::new();
    for w in words.iter().take(ID_WORDS) {
        if id.len() + w.len() + 1 > 40 {
            break;
        }
        if !id.is_empty() {
            id.push('_');
        }
        id.push_str(w);
    }
    if id.is_empty() || !crate::text::is_safe_id(&id) {
        id = fallback.to_string();
    }
    let base = id.clone();
    let mut n = 2;
    while !taken.insert(id.clone()) {
        id = format!("{base}_{n}");
        n += 1;
    }
    id
}

/// "I don't know", "Don't know what AI is", `dont_know_ai`.
pub(crate) fn is_dont_know(v: &str) -> bool {
    let v = v.to_lowercase().replace(['’', '_'], " ").replace('\'', "");
    v.contains("dont know") || v.contains("do not know") || v.contains("never heard")
}

/// "Other", "Other (please specify)", "Other:".
pub(crate) fn is_other(label: &str) -> bool {
    let l = label.trim().to_lowercase();
    l == "other" || l.starts_with("other ") || l.starts_with("other (") || l.starts_with("other:")
}

/// The place of an answer on a common scale (yes / unsure / no; very / somewhat / not very /
/// not at all; don't know last), when it is on one.
fn scale_rank(v: &str) -> Option<u32> {
    let l = v.trim().to_lowercase();
    let starts =
        |w: &str| l == w || l.starts_with(&format!("{w} ")) || l.starts_with(&format!("{w},"));
    if is_dont_know(&l) || l.starts_with("prefer not") {
        return Some(90);
    }
    if starts("not sure") || starts("unsure") || starts("maybe") || starts("neither") {
        return Some(20);
    }
    if starts("not at all") {
        return Some(14);
    }
    if starts("not very") || starts("not so") {
        return Some(13);
    }
    if starts("yes") {
        return Some(10);
    }
    if starts("no") {
        return Some(30);
    }
    if starts("extremely") {
        return Some(10);
    }
    if starts("very") {
        return Some(11);
    }
    if starts("somewhat") || starts("fairly") || starts("moderately") {
        return Some(12);
    }
    None
}

/// The first year (1900–2099) a text names.
fn year(v: &str) -> Option<u32> {
    let b = v.as_bytes();
    (0..b.len().saturating_sub(3)).find_map(|i| {
        let w = &b[i..i + 4];
        let digits = w.iter().all(u8::is_ascii_digit);
        let alone = (i == 0 || !b[i - 1].is_ascii_digit())
            && b.get(i + 4).is_none_or(|c| !c.is_ascii_digit());
        let y: u32 = std::str::from_utf8(w).ok()?.parse().ok()?;
        (digits && alone && (1900..2100).contains(&y)).then_some(y)
    })
}

/// The number a text starts with ("18-24" → 18, "65+" → 65).
fn leading_number(v: &str) -> Option<u32> {
    let digits: String = v.trim().chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Answers in the order a questionnaire lists them, as far as the values tell: numeric
/// codes ascending; birth years youngest first; age bands ascending; a known scale in its
/// order; else the most frequent first. "Other" and "don't know" answers go last.
pub(crate) fn ordered(values: &[(String, u64)]) -> Vec<String> {
    let mut v: Vec<(String, u64)> = values.to_vec();
    let all = |f: &dyn Fn(&str) -> bool| v.iter().all(|(x, _)| f(x));
    if all(&|x| x.parse::<u64>().is_ok()) {
        v.sort_by_key(|(x, _)| x.parse::<u64>().unwrap_or(u64::MAX));
    } else if all(&|x| year(x).is_some()) {
        v.sort_by_key(|(x, _)| std::cmp::Reverse(year(x)));
    } else if all(&|x| leading_number(x).is_some()) {
        v.sort_by_key(|(x, _)| leading_number(x));
    } else {
        let ranks: Vec<Option<u32>> = v.iter().map(|(x, _)| scale_rank(x)).collect();
        let distinct: BTreeSet<u32> = ranks.iter().flatten().copied().collect();
        if ranks.iter().all(Option::is_some) && distinct.len() == ranks.len() {
            v.sort_by_key(|(x, _)| scale_rank(x));
        } else {
            // Stable: ties keep the order first seen.
            v.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        }
    }
    // Other and don't-know answers last, in their order.
    v.sort_by_key(|(x, _)| is_other(x) || is_dont_know(x));
    v.into_iter().map(|(x, _)| x).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(values: &[&str]) -> Vec<String> {
        let v: Vec<(String, u64)> = values
            .iter()
            .enumerate()
            .map(|(i, x)| (x.to_string(), 10 + i as u64))
            .collect();
        ordered(&v)
    }

    #[test]
    fn answers_come_in_questionnaire_order() {
        assert_eq!(
            order(&[
                "Not very familiar",
                "I don't know what AI technology is",
                "Very familiar",
                "Somewhat familiar"
            ]),
            [
                "Very familiar",
                "Somewhat familiar",
                "Not very familiar",
                "I don't know what AI technology is"
            ]
        );
        assert_eq!(order(&["No", "Not sure", "Yes"]), ["Yes", "Not sure", "No"]);
        assert_eq!(
            order(&[
                "Millennial (born 1981–1996)",
                "Baby boomer (born 1946–1964)",
                "Gen Z (born 1997–2012)",
                "Gen X (born 1965–1980)"
            ]),
            [
                "Gen Z (born 1997–2012)",
                "Millennial (born 1981–1996)",
                "Gen X (born 1965–1980)",
                "Baby boomer (born 1946–1964)"
            ]
        );
        assert_eq!(
            order(&["35-44", "18-24", "65+", "25-34"]),
            ["18-24", "25-34", "35-44", "65+"]
        );
        assert_eq!(order(&["3", "10", "1", "2"]), ["1", "2", "3", "10"]);
        // Most frequent first when nothing else tells; Other last.
        assert_eq!(
            order(&["Other", "France", "Germany"]),
            ["Germany", "France", "Other"]
        );
    }

    #[test]
    fn ids_are_whole_words_of_the_text() {
        let mut taken = BTreeSet::new();
        assert_eq!(
            id_for(
                "What are your top concerns about the use of AI in customer service?",
                "q",
                &mut taken
            ),
            "top_concerns_use_ai"
        );
        assert_eq!(
            id_for("I don't know what AI technology is", "x", &mut taken),
            "dont_know_ai_technology"
        );
        assert_eq!(
            id_for("It will be harder to reach a human agent", "x", &mut taken),
            "harder_reach_human_agent"
        );
        // Taken ids get a number; texts with no word get the fallback.
        assert_eq!(
            id_for("Top concerns: use AI!", "q", &mut taken),
            "top_concerns_use_ai_2"
        );
        assert_eq!(id_for("¿?", "q4", &mut taken), "q4");
        for id in &taken {
            assert!(crate::text::is_safe_id(id), "{id}");
        }
    }
}
