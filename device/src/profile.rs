//! `device profile`: where tract spends a model's run, per operator kind and per node,
//! from tract's evaluation hook around every node of the optimized plan.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use shared::tract_model::NodeTime;

/// One kind of operator's share of a run.
#[derive(Debug, Clone, Serialize)]
pub struct OpTime {
    /// tract's operator name.
    pub op: String,
    /// Nodes of that kind in the plan.
    pub nodes: usize,
    /// Mean milliseconds a run, all those nodes together.
    pub ms: f64,
    /// Share of the profiled run.
    pub share: f64,
}

/// A model's profile.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileReport {
    /// The model file.
    pub model: PathBuf,
    /// The picture whose input was profiled.
    pub input: PathBuf,
    /// tract threads.
    pub threads: usize,
    /// Profiled runs (after 3 untimed ones).
    pub runs: usize,
    /// Mean milliseconds of an ordinary (unhooked) run of the same input.
    pub run_ms: f64,
    /// Sum of all nodes' mean times.
    pub nodes_ms: f64,
    /// Operator kinds, most expensive first.
    pub by_op: Vec<OpTime>,
    /// Every node in plan order.
    pub nodes: Vec<NodeTime>,
}

impl ProfileReport {
    /// Groups `nodes` by operator.
    pub fn new(model: PathBuf, input: PathBuf, threads: usize, runs: usize, run_ms: f64, nodes: Vec<NodeTime>) -> Self {
        let nodes_ms: f64 = nodes.iter().map(|n| n.ms).sum();
        let mut groups: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
        for n in &nodes {
            let g = groups.entry(&n.op).or_default();
            g.0 += 1;
            g.1 += n.ms;
        }
        let mut by_op: Vec<OpTime> = groups
            .into_iter()
            .map(|(op, (count, ms))| OpTime {
                op: op.to_string(),
                nodes: count,
                ms,
                share: if nodes_ms > 0.0 { ms / nodes_ms } else { 0.0 },
            })
            .collect();
        by_op.sort_by(|a, b| b.ms.total_cmp(&a.ms));
        Self { model, input, threads, runs, run_ms, nodes_ms, by_op, nodes }
    }

    /// The table for people: operator kinds, then the `top` most expensive nodes.
    pub fn table(&self, top: usize) -> String {
        let mut s = format!(
            "model {}, input {}, {} threads, {} runs: {:.3} ms a run ({:.3} ms inside nodes)\n",
            self.model.display(),
            self.input.display(),
            self.threads,
            self.runs,
            self.run_ms,
            self.nodes_ms
        );
        s += &format!("{:<24}{:>7}{:>10}{:>8}\n", "operator", "nodes", "ms", "share");
        for o in &self.by_op {
            s += &format!("{:<24}{:>7}{:>10.3}{:>7.1}%\n", o.op, o.nodes, o.ms, o.share * 100.0);
        }
        let mut costly: Vec<&NodeTime> = self.nodes.iter().collect();
        costly.sort_by(|a, b| b.ms.total_cmp(&a.ms));
        s += &format!("\n{:<10}{:<22}{:<36}  info\n", "ms", "op", "node");
        for n in costly.into_iter().take(top) {
            s += &format!("{:<10.3}{:<22}{:<36}  {}\n", n.ms, n.op, n.node, n.info);
        }
        s
    }
}
