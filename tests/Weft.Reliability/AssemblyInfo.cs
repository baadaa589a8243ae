// Each scenario runs a whole local mesh under load and measures it: side by side on two cores they would measure each
// other. One at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
