//! Reusable pieces of the console, one per file.

pub mod attention;
pub mod budget_panel;
pub mod dialog;
pub mod error_alert;
pub mod expiry_badge;
pub mod forecast_note;
pub mod header;
pub mod knowledge_panel;
pub mod nav_tabs;
pub mod notification_bell;
pub mod pager;
pub mod postpaid_charges;
pub mod run_out_forecasts;
pub mod switch;
pub mod usage_bar;
pub mod usage_chart;
