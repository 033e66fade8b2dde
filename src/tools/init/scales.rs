//! Rating scales recognised by their answers' words (English and Russian): satisfaction,
//! likelihood, agreement, importance, quality, frequency, and 0–10. A scale is drafted in
//! its own order, low to high, with its top-two and bottom-two boxes as nets (the top two
//! leading its headline).

/// The scale's families, each with the stem that marks it and the words that place an
/// answer on it.
struct Family {
    /// Every answer of the family (but a neutral one) holds one of these.
    stems: &'static [&'static str],
    /// Answers on the low side hold one of these.
    negative: &'static [&'static str],
}

const FAMILIES: &[Family] = &[
    Family {
        stems: &["satisf", "доволен", "довольн", "удовлетвор"],
        negative: &[
            "dissatisf",
            "unsatisf",
            "not satisf",
            "недовол",
            "не довол",
            "не удовлетвор",
            "неудовлетвор",
        ],
    },
    Family {
        stems: &["likely", "вероятн"],
        negative: &[
            "unlikely",
            "not likely",
            "маловероятн",
            "невероятн",
            "не вероятн",
        ],
    },
    Family {
        stems: &["agree", "соглас"],
        negative: &["disagree", "не соглас", "несоглас"],
    },
    Family {
        stems: &["important", "важн"],
        negative: &[
            "not important",
            "unimportant",
            "not at all important",
            "not very important",
            "неважн",
            "не важн",
        ],
    },
];

/// Words that move an answer away from the middle of its side ("very", "strongly").
const STRONG: &[&str] = &[
    "very",
    "extremely",
    "strongly",
    "completely",
    "totally",
    "очень",
    "полностью",
    "совершенно",
    "абсолютно",
    "крайне",
    "совсем",
];
/// Words that keep an answer close to the middle ("somewhat", "rather").
const MILD: &[&str] = &[
    "somewhat",
    "slightly",
    "fairly",
    "rather",
    "moderately",
    "скорее",
    "немного",
    "отчасти",
];
/// The middle of a bipolar scale.
const NEUTRAL: &[&str] = &[
    "neither",
    "neutral",
    "ни то ни другое",
    "ни да ни нет",
    "нейтрал",
    "средне",
];

/// Ordered words of scales without a shared stem: quality and frequency.
const LADDERS: &[&[&str]] = &[
    &[
        "very poor",
        "poor",
        "fair",
        "good",
        "very good",
        "excellent",
    ],
    &["never", "rarely", "sometimes", "often", "always"],
    &[
        "очень плохо",
        "плохо",
        "удовлетворительно",
        "хорошо",
        "очень хорошо",
        "отлично",
    ],
    &["никогда", "редко", "иногда", "часто", "всегда"],
];

/// An answer's place on a stemmed family's scale (higher is more positive).
fn place(label: &str, family: &Family) -> Option<i32> {
    let l = label.to_lowercase();
    if NEUTRAL.iter().any(|n| l.contains(n)) {
        return Some(0);
    }
    if !family.stems.iter().any(|s| l.contains(s)) {
        return None;
    }
    let sign = if family.negative.iter().any(|n| l.contains(n)) {
        -1
    } else {
        1
    };
    let size = if STRONG.iter().any(|w| l.contains(w)) {
        3
    } else if MILD.iter().any(|w| l.contains(w)) {
        1
    } else {
        2
    };
    Some(sign * size)
}

/// The answers of a scale in its order, low to high, when `values` are one (three or
/// more answers, each in a distinct place), and how many are points of it: an answer that
/// is none ("Don't know") follows, in its order.
pub(super) fn order(values: &[String]) -> Option<(Vec<String>, usize)> {
    let placed = |place_of: &dyn Fn(&str) -> Option<i32>| -> Option<(Vec<String>, usize)> {
        let mut points: Vec<(i32, &String)> = Vec::new();
        let mut others: Vec<&String> = Vec::new();
        for v in values {
            match place_of(v) {
                Some(p) => points.push((p, v)),
                None => others.push(v),
            }
        }
        let mut places: Vec<i32> = points.iter().map(|(p, _)| *p).collect();
        places.sort();
        places.dedup();
        // Distinct places, at least three, and the odd one out at most one answer.
        if places.len() != points.len() || points.len() < 3 || others.len() > 1 {
            return None;
        }
        points.sort_by_key(|(p, _)| *p);
        let n = points.len();
        let ordered = points
            .into_iter()
            .map(|(_, v)| v.clone())
            .chain(others.into_iter().cloned())
            .collect();
        Some((ordered, n))
    };
    for family in FAMILIES {
        if let Some(o) = placed(&|v| place(v, family)) {
            return Some(o);
        }
    }
    for ladder in LADDERS {
        let at = |v: &str| {
            let l = v.to_lowercase();
            // The longest word that matches ("very good" before "good").
            ladder
                .iter()
                .enumerate()
                .filter(|(_, w)| l.trim() == **w || l.trim().starts_with(&format!("{w} ")))
                .max_by_key(|(_, w)| w.len())
                .map(|(i, _)| i as i32)
        };
        if let Some(o) = placed(&at) {
            return Some(o);
        }
    }
    // 0–10 (likelihood to recommend): whole numbers from 0 to 10.
    let numbers: Option<Vec<i32>> = values
        .iter()
        .map(|v| v.trim().parse::<i32>().ok())
        .collect();
    if let Some(mut n) = numbers {
        n.sort();
        if n.len() >= 8 && n.first() == Some(&0) && n.last() == Some(&10) {
            return Some((n.iter().map(|x| x.to_string()).collect(), n.len()));
        }
    }
    None
}

#[cfg(test)]
mod tests {

    fn v(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn order(values: &[String]) -> Option<Vec<String>> {
        super::order(values).map(|(o, _)| o)
    }

    #[test]
    fn scales_are_ordered_low_to_high() {
        assert_eq!(
            order(&v(&[
                "Satisfied",
                "Very dissatisfied",
                "Very satisfied",
                "Neither satisfied nor dissatisfied",
                "Dissatisfied"
            ])),
            Some(v(&[
                "Very dissatisfied",
                "Dissatisfied",
                "Neither satisfied nor dissatisfied",
                "Satisfied",
                "Very satisfied"
            ]))
        );
        assert_eq!(
            order(&v(&[
                "Agree",
                "Strongly agree",
                "Disagree",
                "Strongly disagree",
                "Don't know"
            ])),
            Some(v(&[
                "Strongly disagree",
                "Disagree",
                "Agree",
                "Strongly agree",
                "Don't know"
            ]))
        );
        assert_eq!(
            order(&v(&["Good", "Excellent", "Poor", "Fair", "Very good"])),
            Some(v(&["Poor", "Fair", "Good", "Very good", "Excellent"]))
        );
        assert_eq!(
            order(&v(&[
                "Скорее доволен",
                "Совсем недоволен",
                "Полностью доволен",
                "Скорее недоволен"
            ])),
            Some(v(&[
                "Совсем недоволен",
                "Скорее недоволен",
                "Скорее доволен",
                "Полностью доволен"
            ]))
        );
        assert_eq!(
            order(&v(&["Иногда", "Никогда", "Всегда", "Часто", "Редко"])),
            Some(v(&["Никогда", "Редко", "Иногда", "Часто", "Всегда"]))
        );
        let ten: Vec<String> = [7, 10, 0, 3, 5, 9, 8, 6, 2, 1, 4]
            .iter()
            .map(|x| x.to_string())
            .collect();
        assert_eq!(order(&ten), Some((0..=10).map(|x| x.to_string()).collect()));
        // Not scales: brands, yes/no, two satisfaction answers.
        assert_eq!(order(&v(&["Netflix", "Max", "Disney+"])), None);
        assert_eq!(order(&v(&["Yes", "No"])), None);
        assert_eq!(order(&v(&["Satisfied", "Dissatisfied"])), None);
    }
}
