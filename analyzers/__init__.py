"""Pure code facts from a local git repository: history miner, SZZ labeller, file kinds."""
