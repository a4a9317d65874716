//! Training is deterministic for a seed and thread count, and a damaged model file is an
//! error, never a panic (the Python comparison is in python_interop.rs).

use skypile_fasttext::{Args, Example, Model, TrainOpts, train};

fn examples() -> Vec<Example> {
    let mut rng = skypile_fasttext::train::Rng::new(11);
    let words = [
        ["alpha", "beta", "gamma", "数据"],
        ["delta", "eps", "zeta", "模型"],
    ];
    (0..200)
        .map(|i| {
            let w = &words[i % 2];
            let text: Vec<&str> = (0..6).map(|_| w[rng.below(4)]).collect();
            let labels = vec![["a", "b"][i % 2].to_string()];
            Example {
                text: text.join(" "),
                labels,
            }
        })
        .collect()
}

fn opts(threads: usize, seed: u64) -> TrainOpts {
    let args = Args {
        dim: 4,
        epoch: 3,
        minn: 1,
        maxn: 2,
        bucket: 64,
        ..Args::default()
    };
    TrainOpts {
        args,
        lr: 0.3,
        threads,
        seed,
    }
}

#[test]
fn same_seed_and_threads_give_the_same_bytes() {
    let bytes = |threads, seed| {
        train(&examples(), &opts(threads, seed))
            .unwrap()
            .to_bytes()
            .unwrap()
    };
    assert_eq!(bytes(2, 1), bytes(2, 1));
    assert_eq!(bytes(1, 1), bytes(1, 1));
    assert_ne!(bytes(2, 1), bytes(2, 2), "the seed must matter");
}

#[test]
fn damaged_files_are_errors_not_panics() {
    let bytes = train(&examples(), &opts(1, 1)).unwrap().to_bytes().unwrap();
    assert!(Model::from_bytes(&bytes).is_ok());
    for cut in (0..bytes.len()).step_by(13) {
        assert!(
            Model::from_bytes(&bytes[..cut]).is_err(),
            "prefix of {cut} bytes loaded"
        );
    }
    let mut wrong = bytes.clone();
    wrong[0] ^= 0xff;
    let err = Model::from_bytes(&wrong).err().unwrap().to_string();
    assert!(err.contains("not a fastText model"), "{err}");
    // a huge size field must not allocate or panic
    let mut huge = bytes.clone();
    huge[8..12].copy_from_slice(&i32::MAX.to_le_bytes()); // args.dim
    assert!(Model::from_bytes(&huge).is_err());
}
