//! BI readers: each output table of the sample opened by the readers data teams use.
//! (Filled in by the readers test; see README "Output tables".)
