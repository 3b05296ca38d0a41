//! Simulation of marked, scanned ballots with their ground truth (being written).
