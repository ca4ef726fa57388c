//! `cargo bench`: reproduces the Go decision record's comparison table for
//! every strategy, plus writes, thread sweeps and registry operations, then
//! writes `reports/<arch>-<os>/`.
//!
//! Semantics (see DESIGN.md): Single Reader is one thread with one reader;
//! Concurrent (N) and the contention groups split a round's reads over N
//! pre-started threads released by a barrier, ns/op = wall time / total
//! reads (Go `RunParallel`). Memory/Op comes from an untimed pass under a
//! counting allocator. `PROCSTORE_BENCH_PROFILE=quick` shortens everything.

use std::cell::RefCell;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, measurement::WallTime};
use procstore_benches::alloc::{CountingAllocator, count_allocations};
use procstore_benches::exit_with;
use procstore_benches::floor::{CrossbeamEcho, FlumeEcho};
use procstore_benches::floor::{each_registry_and_floor, each_store_and_floor};
use procstore_benches::output::Experiments;
use procstore_benches::pool::{Background, Job, Pool, Round};
use procstore_benches::profile::Profile;
use procstore_benches::supervision::{self, Settings};
use procstore_benches::workload::{
    RegistryOp, TABLE_SIZE, background_reader, background_registry_writer, background_writer, initial_state,
    populated, read_job, registry_job, write_job,
};
use procstore_benches::{reclamation, tails};
use procstore_catalog::{Entry, Family, RegistryVisitor, StoreVisitor, each_registry, floors};
use procstore_core::{Registry, StateStore};
use procstore_report::{ReclamationRecord, Record, groups};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Collects our own record of every benchmark criterion runs.
struct Recorder {
    profile: Profile,
    records: Vec<Record>,
    /// Benchmarks registered, measured or not (a filter skips some).
    registered: usize,
    /// [`tails::clock_floor`], measured once.
    clock_floor: f64,
    cores: usize,
}

impl Recorder {
    /// Runs one benchmark whose routine measures `iters` operations, and
    /// records the median over criterion's samples.
    fn bench(
        &mut self,
        group: &mut Group<'_>,
        (entry, threads): (&Entry, usize),
        mut routine: impl FnMut(u64) -> Round,
    ) -> bool {
        self.registered += 1;
        let calls = RefCell::new(Vec::<(u64, Round)>::new());
        group.criterion.bench_function(BenchmarkId::new(entry.id, threads), |b| {
            b.iter_custom(|iters| {
                let round = routine(iters);
                calls.borrow_mut().push((iters, round));
                round.elapsed
            })
        });
        let calls = calls.into_inner();
        // Flat sampling: the samples are the trailing calls with one iteration count.
        let Some(&(last_iters, _)) = calls.last() else {
            return false;
        };
        let samples: Vec<_> = calls
            .iter()
            .rev()
            .take_while(|(iters, _)| *iters == last_iters)
            .take(self.profile.sample_size)
            .collect();
        if samples.len() < self.profile.sample_size {
            return false; // criterion's --test or --quick: no honest median
        }
        let mut per_op: Vec<f64> =
            samples.iter().map(|(i, r)| r.elapsed.as_nanos() as f64 / *i as f64).collect();
        per_op.sort_by(f64::total_cmp);
        let elapsed: f64 = samples.iter().map(|(_, r)| r.elapsed.as_secs_f64()).sum();
        let background: u64 = samples.iter().map(|(_, r)| r.background_ops).sum();
        self.records.push(Record {
            group: group.name.to_owned(),
            id: entry.id.to_owned(),
            strategy: entry.label.to_owned(),
            kind: entry.family,
            threads: threads as u32,
            ns_per_op: Some(median(&per_op)),
            samples: samples.len() as u32,
            writer_updates_per_sec: (background > 0).then(|| background as f64 / elapsed),
            bytes_per_op: None,
            allocs_per_op: None,
            tails: None,
        });
        true
    }

    /// Gives the row just recorded its tail: `readers` sampled readers of
    /// `store` beside `others`, for the profile's tail pass.
    fn tails<S: StateStore>(&mut self, store: &S, readers: usize, others: Vec<Background>) {
        let record = self.records.last_mut().expect("the row was just recorded");
        let ns = record.ns_per_op.expect("a timed row");
        // Go semantics divide wall time by every thread's reads; a thread's
        // own read takes that times the threads that ran at once.
        let mean_read = ns * readers.min(self.cores) as f64;
        let every = tails::sample_every(self.clock_floor, mean_read);
        record.tails =
            Some(tails::pass(store, readers, others, (self.profile.tail_pass, every, self.clock_floor)));
    }
}

fn median(sorted: &[f64]) -> f64 {
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2.0 }
}

/// A criterion group and the name our records give it.
struct Group<'c> {
    name: &'static str,
    criterion: BenchmarkGroup<'c, WallTime>,
}

fn open<'c>(c: &'c mut Criterion, name: &'static str) -> Group<'c> {
    let mut criterion = c.benchmark_group(name);
    criterion.sampling_mode(SamplingMode::Flat);
    Group { name, criterion }
}

/// Times `job` on the calling thread.
fn on_this_thread(job: &mut Job) -> impl FnMut(u64) -> Round + '_ {
    move |iters| {
        let start = Instant::now();
        let ok = job(iters);
        let elapsed = start.elapsed();
        assert_eq!(ok, iters, "broken run: {ok} of {iters} operations succeeded");
        Round { elapsed, background_ops: 0 }
    }
}

struct SingleReader<'r, 'c> {
    rec: &'r mut Recorder,
    group: Group<'c>,
}

impl StoreVisitor for SingleReader<'_, '_> {
    fn visit<S: StateStore>(&mut self, entry: &'static Entry) {
        let store = S::new(initial_state());
        let mut job = read_job(&store);
        self.rec.bench(&mut self.group, (entry, 1), on_this_thread(&mut job));
    }
}

/// Readers only, `threads` of them (Concurrent and the sweep).
struct Concurrent<'r, 'c> {
    rec: &'r mut Recorder,
    group: Group<'c>,
    threads: usize,
}

impl StoreVisitor for Concurrent<'_, '_> {
    fn visit<S: StateStore>(&mut self, entry: &'static Entry) {
        let store = S::new(initial_state());
        let pool = Pool::new((0..self.threads).map(|_| read_job(&store)).collect(), vec![]);
        let recorded = self.rec.bench(&mut self.group, (entry, self.threads), |iters| pool.run(iters));
        if recorded && self.threads == self.rec.profile.threads {
            self.rec.tails(&store, self.threads, vec![]);
        }
    }
}

/// N readers and one writer, back to back (`rate: None`) or paced.
struct Contention<'r, 'c> {
    rec: &'r mut Recorder,
    group: Group<'c>,
    rate: Option<f64>,
}

impl StoreVisitor for Contention<'_, '_> {
    fn visit<S: StateStore>(&mut self, entry: &'static Entry) {
        if entry.family == Family::Floor && self.rate.is_none() {
            return; // the leaky floor would keep every state a free-running writer makes
        }
        let store = Arc::new(S::new(initial_state()));
        let readers = (0..self.rec.profile.threads).map(|_| read_job(&*store)).collect();
        let pool = Pool::new(readers, vec![background_writer(&store, self.rate)]);
        let threads = self.rec.profile.threads;
        if self.rec.bench(&mut self.group, (entry, threads), |iters| pool.run(iters)) {
            self.rec.tails(&*store, threads, vec![background_writer(&store, self.rate)]);
        }
    }
}

/// One writer, alone (`readers: 0`) or under background readers; stores
/// only (the floor is a read bound: its writes only leak).
struct Write<'r, 'c> {
    rec: &'r mut Recorder,
    group: Group<'c>,
    readers: usize,
}

impl StoreVisitor for Write<'_, '_> {
    fn visit<S: StateStore>(&mut self, entry: &'static Entry) {
        let store = Arc::new(S::new(initial_state()));
        if self.readers == 0 {
            let mut job = write_job(&store);
            self.rec.bench(&mut self.group, (entry, 1), on_this_thread(&mut job));
        } else {
            let readers = (0..self.readers).map(|_| background_reader(&*store)).collect();
            let pool = Pool::new(vec![write_job(&store)], readers);
            self.rec.bench(&mut self.group, (entry, 1), |iters| pool.run(iters));
        }
    }
}

struct RegistryGroup<'r, 'c> {
    rec: &'r mut Recorder,
    group: Group<'c>,
    op: RegistryOp,
    threads: usize,
}

impl RegistryVisitor for RegistryGroup<'_, '_> {
    fn visit<R: Registry>(&mut self, entry: &'static Entry) {
        let writes = matches!(self.op, RegistryOp::Churn | RegistryOp::Mix);
        if entry.family == Family::Floor && writes {
            return; // the floor's readers never see a write
        }
        let size = self.rec.profile.registry_size;
        let registry = populated::<R>(size);
        let jobs = (0..self.threads).map(|t| registry_job(&registry, self.op, t as u64, size)).collect();
        let pool = Pool::new(jobs, vec![]);
        self.rec.bench(&mut self.group, (entry, self.threads), |iters| pool.run(iters));
    }
}

/// Readers polling a supervisor's table (gets and lists) while one writer
/// updates it back to back: does the writer get through?
struct Starvation<'r, 'c> {
    rec: &'r mut Recorder,
    group: Group<'c>,
}

impl RegistryVisitor for Starvation<'_, '_> {
    fn visit<R: Registry>(&mut self, entry: &'static Entry) {
        let registry = populated::<R>(TABLE_SIZE);
        let threads = self.rec.profile.threads;
        let readers = (0..threads)
            .map(|t| registry_job(&registry, RegistryOp::GetAndList, t as u64, TABLE_SIZE))
            .collect();
        let pool = Pool::new(readers, vec![background_registry_writer(&registry, TABLE_SIZE)]);
        self.rec.bench(&mut self.group, (entry, threads), |iters| pool.run(iters));
    }
}

/// The untimed Memory/Op pass: no other benchmark thread is alive.
struct Memory<'r> {
    rec: &'r mut Recorder,
}

impl Memory<'_> {
    fn record(&mut self, group: &str, entry: &Entry, mut job: Job) {
        job(16); // warm: first-use allocations (thread locals, hazard records) are not per-op
        let ops = self.rec.profile.memory_ops;
        let use_ = count_allocations(ops, |n| assert_eq!(black_box(job(n)), n, "broken memory pass"));
        self.rec.records.push(Record {
            group: group.to_owned(),
            id: entry.id.to_owned(),
            strategy: entry.label.to_owned(),
            kind: entry.family,
            threads: 1,
            ns_per_op: None,
            samples: 0,
            writer_updates_per_sec: None,
            bytes_per_op: Some(use_.bytes),
            allocs_per_op: Some(use_.allocations),
            tails: None,
        });
    }
}

impl StoreVisitor for Memory<'_> {
    fn visit<S: StateStore>(&mut self, entry: &'static Entry) {
        let store = Arc::new(S::new(initial_state()));
        self.record(groups::MEMORY_READ, entry, read_job(&*store));
        if entry.family != Family::Floor {
            self.record(groups::MEMORY_WRITE, entry, write_job(&store));
        }
    }
}

impl RegistryVisitor for Memory<'_> {
    fn visit<R: Registry>(&mut self, entry: &'static Entry) {
        let size = self.rec.profile.registry_size;
        let job = registry_job(&populated::<R>(size), RegistryOp::GetHit, 0, size);
        self.record(groups::MEMORY_READ, entry, job);
    }
}

fn echo_jobs(threads: usize) -> [(&'static Entry, Vec<Job>); 2] {
    let crossbeam = CrossbeamEcho::start();
    let flume = FlumeEcho::start();
    let jobs = |make: &dyn Fn() -> Job| (0..threads).map(|_| make()).collect();
    [
        (
            &floors::CROSSBEAM_ROUND_TRIP,
            jobs(&|| {
                let mut client = crossbeam.client();
                Box::new(move |n| (0..n).map(|_| u64::from(client.round_trip())).sum())
            }),
        ),
        (
            &floors::FLUME_ROUND_TRIP,
            jobs(&|| {
                let mut client = flume.client();
                Box::new(move |n| (0..n).map(|_| u64::from(client.round_trip())).sum())
            }),
        ),
    ]
}

fn main() {
    let profile = Profile::from_env().unwrap_or_else(|error| exit_with(&error));
    let mut c = Criterion::default()
        .warm_up_time(profile.warm_up)
        .measurement_time(profile.measurement)
        .sample_size(profile.sample_size)
        // Only criterion's own intervals and density plots use the bootstrap;
        // at the default 100,000 resamples its plots cost ~7 s per benchmark.
        .nresamples(5_000)
        .configure_from_args();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut rec = Recorder {
        profile: profile.clone(),
        records: Vec::new(),
        registered: 0,
        clock_floor: tails::clock_floor(),
        cores,
    };
    eprintln!(
        "procstore-benches: profile {} ({} readers, sweep {:?}, paced writer {} updates/s)",
        profile.name, profile.threads, profile.sweep, profile.paced_rate
    );

    let mut memory = Memory { rec: &mut rec };
    each_store_and_floor(&mut memory);
    each_registry_and_floor(&mut memory);

    {
        let mut single = SingleReader { group: open(&mut c, groups::SINGLE_READER), rec: &mut rec };
        each_store_and_floor(&mut single);
        for (name, mut jobs) in echo_jobs(1) {
            let mut job = jobs.pop().expect("one job");
            single.rec.bench(&mut single.group, (name, 1), on_this_thread(&mut job));
        }
        single.group.criterion.finish();
    }

    {
        let mut concurrent =
            Concurrent { group: open(&mut c, groups::CONCURRENT), rec: &mut rec, threads: 0 };
        for &threads in &profile.sweep {
            concurrent.threads = threads;
            each_store_and_floor(&mut concurrent);
            for (name, jobs) in echo_jobs(threads) {
                let pool = Pool::new(jobs, vec![]);
                concurrent.rec.bench(&mut concurrent.group, (name, threads), |iters| pool.run(iters));
            }
        }
        concurrent.group.criterion.finish();
    }

    for (name, rate) in [(groups::CONTENTION, None), (groups::CONTENTION_PACED, Some(profile.paced_rate))] {
        let mut contention = Contention { group: open(&mut c, name), rec: &mut rec, rate };
        each_store_and_floor(&mut contention);
        contention.group.criterion.finish();
    }

    for (name, readers) in [(groups::WRITE, 0), (groups::WRITE_UNDER_READERS, profile.threads)] {
        let mut write = Write { group: open(&mut c, name), rec: &mut rec, readers };
        procstore_catalog::each_store(&mut write);
        write.group.criterion.finish();
    }

    let registry_groups = [
        (groups::REGISTRY_GET_HIT, RegistryOp::GetHit),
        (groups::REGISTRY_GET_MISS, RegistryOp::GetMiss),
        (groups::REGISTRY_CHURN, RegistryOp::Churn),
        (groups::REGISTRY_MIX, RegistryOp::Mix),
        (groups::REGISTRY_LIST, RegistryOp::List),
    ];
    for (name, op) in registry_groups {
        let mut registry = RegistryGroup { group: open(&mut c, name), rec: &mut rec, op, threads: 0 };
        for threads in [1, profile.threads] {
            registry.threads = threads;
            each_registry_and_floor(&mut registry);
        }
        registry.group.criterion.finish();
    }

    {
        let mut starvation = Starvation { group: open(&mut c, groups::REGISTRY_STARVATION), rec: &mut rec };
        each_registry(&mut starvation);
        starvation.group.criterion.finish();
    }

    c.final_summary();
    let complete = rec.records.iter().filter(|r| r.ns_per_op.is_some()).count() == rec.registered;
    // A filtered or --test run keeps its partial results out of reports/, so
    // the workload's minutes would be spent for nothing.
    let experiments = if complete {
        Experiments {
            reclamation: reclamation_records(&profile, cores),
            workload: supervision::run_all(&Settings::for_profile(&profile)),
        }
    } else {
        Experiments::default()
    };
    procstore_benches::output::finish(&profile, rec.records, experiments, rec.registered);
}

/// The garbage gauge and the stalled reader, for every store and the leaky
/// floor, with one reader per core beside the writer.
fn reclamation_records(profile: &Profile, cores: usize) -> Vec<ReclamationRecord> {
    struct Gauge<'p> {
        profile: &'p Profile,
        readers: usize,
        records: Vec<ReclamationRecord>,
    }
    impl StoreVisitor for Gauge<'_> {
        fn visit<S: StateStore>(&mut self, entry: &'static Entry) {
            let Profile { paced_rate, reclamation, .. } = *self.profile;
            self.records.push(reclamation::measure::<S>(entry, self.readers, paced_rate, reclamation));
        }
    }
    eprintln!("procstore-benches: the garbage gauge and the stalled reader");
    let mut gauge = Gauge { profile, readers: cores, records: Vec::new() };
    each_store_and_floor(&mut gauge);
    gauge.records
}
