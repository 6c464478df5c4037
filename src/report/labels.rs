//! Every word the report shows, in English and Chinese: one registry, looked up by key. Column
//! names and metric ids are shown as they are in both languages.

/// The report's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    /// The `lang` attribute of the page.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }
}

/// Key, English, Chinese.
const LABELS: &[(&str, &str, &str)] = &[
    ("title", "Scorecard report", "绩效考核报告"),
    ("overview", "Company overview", "公司总览"),
    ("period", "Period", "考核期"),
    ("grain", "Grain", "周期"),
    ("month", "month", "月"),
    ("quarter", "quarter", "季度"),
    ("year", "year", "年"),
    ("headline", "Headline figures", "核心指标"),
    ("change", "change from", "较上期"),
    ("pp", "pp", "个百分点"),
    ("no_previous", "no previous period", "无上期数据"),
    ("trends", "Trends", "趋势"),
    ("company", "Company", "公司"),
    ("grades", "Grade distribution", "等级分布"),
    ("grades_by_period", "Grades per period", "各期等级分布"),
    ("grades_by_department", "Grades per department", "各部门等级分布"),
    ("calibration_across", "Calibration across departments", "跨部门校准"),
    ("calibration_note", "Each grade's share of a department's graded rows under each plan; with the plan's grade guidance beside them, a share that departs from it by more than the plan's tolerance is marked.", "各方案下各部门已评等级的比例；若方案设有等级分布指导，偏离超过容差的比例予以标注。"),
    ("plan", "Plan", "考核方案"),
    ("graded", "Graded", "已评等级"),
    ("guidance", "guidance", "指导比例"),
    ("no_departures", "No group of the plan departs from its guidance by more than the tolerance.", "本方案无偏离指导比例超过容差的组。"),
    ("departing_group", "Departs from the guidance", "偏离指导比例的组"),
    ("departing_grades", "Grades: actual / guidance", "等级：实际 / 指导"),
    ("small_groups", "groups smaller than the plan's minimum are shown, not reported.", "个组小于方案的最小组规模，仅展示不报告。"),
    ("calibration_group", "Calibration group", "校准组"),
    ("not_rated", "not rated", "未考核"),
    ("heatmap", "Average KPI score per team", "各团队KPI平均得分"),
    ("ranking", "Ranking", "排名"),
    ("flagged", "Flagged for review", "待复核人员"),
    ("no_flagged", "No one is flagged for review.", "本期无待复核人员。"),
    ("statements", "Employee statements", "员工考核单"),
    ("rank", "Rank", "名次"),
    ("employee", "Employee", "员工"),
    ("department", "Department", "部门"),
    ("team", "Team", "团队"),
    ("role", "Role", "岗位"),
    ("composite", "Composite score", "综合得分"),
    ("grade", "Grade", "等级"),
    ("percentile", "Percentile in group", "组内百分位"),
    ("zscore", "z-score in group", "组内标准分"),
    ("bonus", "Bonus", "奖金"),
    ("reason", "Reason", "原因"),
    ("employees", "Employees", "员工数"),
    ("rated", "Rated", "已考核"),
    ("total_bonus", "Total bonus", "奖金合计"),
    ("kpi_table", "KPIs", "关键绩效指标"),
    ("metric", "Metric", "指标"),
    ("actual", "Actual", "实际值"),
    ("target", "Target", "目标值"),
    ("target_source", "Target source", "目标来源"),
    ("threshold", "Threshold", "门槛值"),
    ("stretch", "Stretch", "挑战值"),
    ("score", "Score", "得分"),
    ("weight", "Weight", "权重"),
    ("effective_weight", "Effective weight", "有效权重"),
    ("weighted_score", "Weighted score", "加权得分"),
    ("appeal", "Appeal", "申诉"),
    ("appeal_from", "approved appeal: was", "已批准申诉：原值"),
    ("approved_by", "approved by", "审批人"),
    ("curves", "Score curves", "得分曲线"),
    ("composite_trend", "Composite score over time", "综合得分趋势"),
    ("calibration", "Calibration in group", "组内校准"),
    ("bonus_math", "How the bonus is computed", "奖金计算"),
    ("own_measures", "The company's own measures", "自定义指标"),
    ("measure", "Measure", "指标"),
    ("value", "Value", "数值"),
    (
        "bonus_formula",
        "bonus = base salary × months in the period × the grade's multiplier × days employed ÷ days in the period, rounded once to the cent",
        "奖金 = 基本工资 × 考核期月数 × 等级系数 × 在职天数 ÷ 考核期天数，最后一次四舍五入到分",
    ),
    ("bonus_not_rated", "Not rated: no bonus.", "未考核：无奖金。"),
    (
        "basis_unknown",
        "the scorecards table holds no base salary or multiplier: an older version wrote it, run again",
        "评分表中无基本工资或等级系数：由旧版本写出，请重新运行",
    ),
    ("days_employed", "days employed", "在职天数"),
    ("flag_appeal", "an approved appeal changed a KPI", "已批准的申诉调整了KPI"),
    ("flag_swing", "the composite moved from", "综合得分变动：从"),
    ("to", "to", "至"),
    ("na", "n/a", "无"),
    ("na_composite", "not rated, or no KPI could be scored", "未考核，或无可计分的KPI"),
    ("na_group", "fewer than 2 in the group, or no spread", "组内人数少于2人或无差异"),
    ("na_cash_recovery_rate", "no collectible balance", "无可回收余额"),
    ("na_par30_rate", "no outstanding balance", "无在贷余额"),
    ("na_bad_debt_rate", "no average balance", "无平均余额"),
    ("na_value", "no value for this period", "本期无数值"),
    ("na_target", "no target", "无目标"),
    ("na_score", "the actual is missing, so the KPI is not scored", "实际值缺失，该指标不计分"),
    ("outstanding", "Outstanding", "在贷余额"),
    ("cash_collected", "Cash collected", "回款金额"),
    ("written_off", "Written off", "核销金额"),
    ("funded_volume", "Funded volume", "投放金额"),
    ("fee_income", "Fee income", "手续费收入"),
    ("cash_recovery_rate", "Cash recovery rate", "现金回收率"),
    ("par30_rate", "PAR30 rate", "逾期30天以上占比"),
    ("bad_debt_rate", "Bad-debt rate", "坏账率"),
    ("curve_marks_higher", "threshold|target|stretch", "门槛|目标|挑战"),
    ("generated_from", "Read from", "数据来源"),
    ("figures_note", "Money in the base currency. Every figure is read from the output tables; the Parquet files hold the exact values.", "金额为本位币。所有数值读自输出表，精确值以Parquet文件为准。"),
    (
        "left_out",
        "{n} statements are left out to keep this page small (the flagged people's come first): `factorscore report --split DIR` writes everyone's as pages of their own.",
        "为控制页面大小，本页略去 {n} 份考核单（优先保留待复核人员）：使用 `factorscore report --split DIR` 为每人单独生成页面。",
    ),
    ("back", "Back to the overview", "返回总览"),
];

/// The word for `key` in `lang`; the key itself when the registry lacks it (a test checks
/// that every key the report uses is there).
pub fn t(lang: Lang, key: &str) -> &str {
    LABELS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or(key, |(_, en, zh)| match lang {
            Lang::En => en,
            Lang::Zh => zh,
        })
}

/// Whether the registry has `key`.
pub fn has(key: &str) -> bool {
    LABELS.iter().any(|(k, _, _)| *k == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_both_languages_are_filled() {
        let mut keys: Vec<&str> = LABELS.iter().map(|l| l.0).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "a key is repeated");
        for (k, en, zh) in LABELS {
            assert!(!en.is_empty() && !zh.is_empty(), "{k}");
            assert_ne!(en, zh, "{k} is not translated");
        }
        assert_eq!(t(Lang::Zh, "bonus"), "奖金");
        assert_eq!(t(Lang::Zh, "pp"), "个百分点");
        assert_eq!(t(Lang::En, "no such key"), "no such key");
    }

    /// Every key the page code names literally is in the registry, so no page shows a key.
    #[test]
    fn every_key_the_pages_use_is_in_the_registry() {
        let sources = [
            include_str!("page/mod.rs"),
            include_str!("page/overview.rs"),
            include_str!("page/statement.rs"),
            include_str!("page/calibration.rs"),
        ];
        let mut seen = 0;
        for src in sources {
            for pat in [".t(\"", ".w(\"", ".na(\"", "opt(scope, c.composite, \""] {
                for (i, _) in src.match_indices(pat) {
                    let rest = &src[i + pat.len()..];
                    let key = &rest[..rest.find('"').unwrap_or(0)];
                    assert!(has(key), "`{key}` is not in the label registry");
                    seen += 1;
                }
            }
        }
        assert!(seen > 50, "{seen}");
        // The keys built from a metric's name.
        for m in ["cash_recovery_rate", "par30_rate", "bad_debt_rate"] {
            assert!(has(m) && has(&format!("na_{m}")), "{m}");
        }
    }
}
