//! The HTML report (`factorscore report`): people's number formats and inline SVG charts.
pub mod format;
pub mod svg;
