//! Properties over arbitrary inputs.

use billing_rules::deduction;
use billing_rules::model::*;
use billing_rules::reminders::{self, Fired};
use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use std::collections::BTreeSet;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 0).unwrap()
}

prop_compose! {
    fn package(i: usize)(total in 0u64..10_000, used_frac in 0u64..=120, days in -5i64..60, trial in any::<bool>()) -> Resource {
        let used = total * used_frac / 100;
        Resource {
            id: format!("r{i}"),
            tenant_id: "t".into(),
            name: format!("r{i}"),
            kind: ResourceKind::TokenPackage,
            source: if trial { Source::FreeTrial } else { Source::Purchased },
            total,
            used,
            effective_at: t0() - Duration::days(1),
            expires_at: t0() + Duration::days(days),
            model: None,
            refunded: false,
        }
    }
}

fn packages() -> impl Strategy<Value = Vec<Resource>> {
    (0usize..8).prop_flat_map(|n| (0..n).map(package).collect::<Vec<_>>())
}

proptest! {
    #[test]
    fn deduction_never_overdraws_and_conserves(rs in packages(), amount in 0u64..50_000, postpaid in any::<bool>()) {
        match deduction::plan(&rs, ResourceKind::TokenPackage, amount, postpaid, false, t0()) {
            Ok(d) => {
                let drawn: u64 = d.draws.iter().map(|x| x.amount).sum();
                prop_assert_eq!(drawn + d.postpaid, amount, "conserves the amount");
                prop_assert!(postpaid || d.postpaid == 0);
                let mut after = rs.clone();
                deduction::apply(&mut after, &d);
                for (b, a) in rs.iter().zip(&after) {
                    prop_assert!(a.used <= a.total.max(b.used), "never over-draws {}", a.id);
                }
                // Trial packages are drained before any purchased one is touched.
                let trial_left: u64 = after.iter().filter(|r| r.source == Source::FreeTrial && billing_rules::status::is_drawable(r, t0())).map(|r| r.remaining()).sum();
                let purchased_drawn = d.draws.iter().any(|x| rs.iter().any(|r| r.id == x.resource_id && r.source == Source::Purchased && x.amount > 0));
                prop_assert!(!purchased_drawn || trial_left == 0);
            }
            Err(_) => prop_assert!(!postpaid, "with postpaid on nothing is refused"),
        }
    }

    #[test]
    fn compact_figures_never_overstate_in_either_language(n in any::<u64>()) {
        for (text, units) in [
            (billing_rules::format::compact(n), [("B", 1_000_000_000u64), ("M", 1_000_000), ("K", 1_000)]),
            (billing_rules::format::compact_wan(n), [("亿", 100_000_000), ("万", 10_000), ("", 1)]),
        ] {
            let (num, div) = units
                .iter()
                .find(|(sfx, _)| !sfx.is_empty() && text.ends_with(sfx))
                .map(|(sfx, d)| (text.trim_end_matches(sfx).to_string(), *d))
                .unwrap_or((text.clone(), 1));
            let num = num.replace(',', "");
            let (whole, frac) = num.split_once('.').unwrap_or((&num, ""));
            let hundredths = format!("{frac:0<2}").parse::<u128>().unwrap();
            let shown = whole.parse::<u128>().unwrap() * div as u128 + hundredths * div as u128 / 100;
            prop_assert!(shown <= n as u128, "{} overstates {}", text, n);
            prop_assert!(n as u128 - shown < (div as u128 / 100).max(1), "{} is too far below {}", text, n);
        }
    }

    #[test]
    fn every_threshold_fires_at_most_once(steps in proptest::collection::vec((0u64..300, 0i64..20 * 86_400), 1..40), total in 1u64..2_000) {
        let mut r = Resource {
            id: "r".into(), tenant_id: "t".into(), name: "r".into(), kind: ResourceKind::TokenPackage,
            source: Source::Purchased, total, used: 0,
            effective_at: t0(), expires_at: t0() + Duration::days(45), model: None, refunded: false,
        };
        let mut now = t0();
        let mut fired = Fired::default();
        let mut seen = BTreeSet::new();
        for (usage, secs) in steps {
            let before = (r.clone(), now);
            r.used = (r.used + usage).min(r.total);
            now += Duration::seconds(secs);
            let crossed: BTreeSet<_> = reminders::newly_crossed((&before.0, before.1), (&r, now)).into_iter().collect();
            let new: BTreeSet<_> = reminders::fire(&mut fired, &r, now).into_iter().collect();
            prop_assert_eq!(&crossed, &new, "what crossed is exactly what fires");
            for t in new {
                prop_assert!(seen.insert(t), "fired twice: {:?}", t);
            }
        }
    }
}

proptest! {
    /// A store revisits a resource only at its next due instant: until
    /// then, time alone changes neither its status nor what is due.
    #[test]
    fn nothing_changes_before_the_next_due_instant(
        r in package(0),
        from in -40i64 * 86_400..40 * 86_400,
        step in 0i64..90 * 86_400,
    ) {
        use billing_rules::reminders::{due, next_due};
        use billing_rules::status::status;
        let now = t0() + chrono::Duration::seconds(from);
        let later = now + chrono::Duration::seconds(step);
        match next_due(&r, now) {
            Some(next) if later >= next => {}
            _ => {
                prop_assert_eq!(status(&r, later), status(&r, now));
                prop_assert_eq!(due(&r, later), due(&r, now));
            }
        }
    }
}
