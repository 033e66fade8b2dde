//! The chart's own words, per language (labels and question texts come from the codebook).

pub struct Words {
    pub figure: &'static str,
    pub question: &'static str,
    pub note: &'static str,
    pub synthetic: &'static str,
    pub whiskers: &'static str,
    pub weighted: &'static str,
    pub source: &'static str,
    pub made_with: &'static str,
    pub letters: &'static str,
}

const EN: Words = Words {
    figure: "Figure",
    question: "Question",
    note: "Note",
    synthetic: "Synthetic data calibrated to published figures",
    whiskers: "Whiskers: 95% Wilson confidence intervals.",
    weighted: "Weighted shares; effective base",
    source: "Source",
    made_with: "Chart: concerns",
    letters: "Letters: significantly higher than that group (z-test on effective bases, adjusted, alpha = {alpha}; no test where an effective base is under {min_base}). Base * under 100; ! under 30.",
};

const RU: Words = Words {
    figure: "Рис.",
    question: "Вопрос",
    note: "Примечание",
    synthetic: "Синтетические данные, откалиброванные по опубликованным показателям",
    whiskers: "Усы: 95% доверительные интервалы Уилсона.",
    weighted: "Доли взвешены; эффективная база",
    source: "Источник",
    made_with: "Диаграмма: concerns",
    letters: "Буквы: доля значимо выше, чем в группе с этой буквой (z-тест на эффективных базах, с поправкой, alpha = {alpha}; без теста, если эффективная база меньше {min_base}). База * меньше 100; ! меньше 30.",
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
        _ => crate::export::thousands(n),
    }
}

/// The base line: "n = 5,140" (en), "База респондентов: 5140 человек" (ru), as in the seed.
pub fn base(lang: &str, n: u64) -> String {
    match lang {
        "ru" => format!("База респондентов: {n} человек"),
        _ => format!("n = {}", number(lang, n)),
    }
}
