//! The chart's own words, per language (labels and question texts come from the codebook).

pub struct Words {
    pub figure: &'static str,
    pub question: &'static str,
    pub note: &'static str,
    pub synthetic: &'static str,
    pub weighted: &'static str,
    pub source: &'static str,
    pub made_with: &'static str,
    /// Before the range of item bases of a question with a base per item.
    pub item_bases: &'static str,
}

const EN: Words = Words {
    figure: "Figure",
    question: "Question",
    note: "Note",
    synthetic: "Synthetic data calibrated to published figures",
    weighted: "Weighted shares; effective base",
    source: "Source",
    made_with: "Chart: concerns",
    item_bases: "each item's share is of those who answered it",
};

const RU: Words = Words {
    figure: "Рис.",
    question: "Вопрос",
    note: "Примечание",
    synthetic: "Синтетические данные, откалиброванные по опубликованным показателям",
    weighted: "Доли взвешены; эффективная база",
    source: "Источник",
    made_with: "Диаграмма: concerns",
    item_bases: "доля каждого пункта — от ответивших на него",
};

pub fn words(lang: &str) -> &'static Words {
    match lang {
        "ru" => &RU,
        _ => &EN,
    }
}

/// A count as the language writes it: "4,138" (en), "4138" (ru, as in the seed).
pub fn number(lang: &str, n: u64) -> String {
    match lang {
        "ru" => n.to_string(),
        _ => crate::text::thousands(n),
    }
}

/// The base line: "n = 5,140" (en), "База респондентов: 5140 человек" (ru), as in the seed.
pub fn base(lang: &str, n: u64) -> String {
    match lang {
        "ru" => format!("База респондентов: {n} человек"),
        _ => format!("n = {}", number(lang, n)),
    }
}
