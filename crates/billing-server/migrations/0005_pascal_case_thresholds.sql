-- Thresholds, notices and reminders are stored as the JSON of their wire
-- types, and a threshold fires once per distinct text: the inner fields of
-- ExpiringSoon, BudgetReached, RemainingPercent and DaysBeforeExpiry became
-- PascalCase on the wire (`days` -> `Days`, `percent` -> `Percent`), so
-- the stored text follows, or every once-only notice would fire again.
-- Queued webhook events keep the body they were queued with (version 1).
UPDATE fired SET threshold = REPLACE(REPLACE(threshold, '"days":', '"Days":'), '"percent":', '"Percent":');
UPDATE notices SET notice = REPLACE(REPLACE(notice, '"days":', '"Days":'), '"percent":', '"Percent":');
UPDATE outbox SET reminder = REPLACE(REPLACE(reminder, '"days":', '"Days":'), '"percent":', '"Percent":');
