"""FastResumeIterBasedTrainLoop: mmengine's IterBasedTrainLoop whose resume positions the data instead of loading
every batch already trained."""
import logging

from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop
from torch.utils.data import IterableDataset

from umgclip_mm.registry import LOOPS


@LOOPS.register_module()
class FastResumeIterBasedTrainLoop(IterBasedTrainLoop):
    """Iteration-based training whose resume costs the same at any step.

    mmengine's ``IterBasedTrainLoop`` resumes at iteration ``n`` by fetching and discarding ``n`` batches: every
    image already trained on is read, decoded and augmented again (at UMG-41M's scale, 20k steps of 2048 images,
    about 41M images before the first new step). This loop trains exactly as that one, and on resume asks the data
    to start where the interrupted run stopped instead:

    * a sampler with ``set_start(num_drawn)`` (``ResumableInfiniteSampler``), behind the data loader's own batch
      sampler: told that this rank has drawn ``n x batch_size`` samples, then the data loader iterator is made
      again (persistent workers are kept; what they prefetched from position 0 is dropped);
    * a streaming (iterable) data set with a ``skip(num_samples, batch_size)`` method: :meth:`skip_streaming_dataset`,
      the hook point for ``UMGWebDataset``, then the iterator is made again likewise;
    * anything else (another sampler, a custom batch sampler, whose batches need not hold ``batch_size`` samples
      of the sampler each): mmengine's way, with a log line saying so.

    With ``ResumableInfiniteSampler`` and ``UMGDataset`` (whose augmentation is seeded per sample), the resumed run
    computes exactly what the uninterrupted one does (the same losses, bit for bit).

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): The training data loader or its config.
        max_iters (int): Total training iterations.
        val_begin (int): The iteration from which validation runs. Defaults to 1.
        val_interval (int): Validation interval. Defaults to 1000.
        dynamic_intervals (list[tuple[int, int]], optional): ``(milestone, interval)`` pairs, as mmengine's.
    """

    def run(self):
        """Train from the current iteration to ``max_iters`` (mmengine's ``run`` with another resume)."""
        self.runner.call_hook('before_train')
        # The whole training is one big epoch, as in mmengine's loop.
        self.runner.call_hook('before_train_epoch')
        if self._iter > 0:
            self.skip_trained_data(self._iter)
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()

            data_batch = next(self.dataloader_iterator)
            self.run_iter(data_batch)

            self._decide_current_val_interval()
            if (self.runner.val_loop is not None and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0 or self._iter == self._max_iters)):
                self.runner.val_loop.run()

        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model

    def skip_trained_data(self, num_iters: int) -> None:
        """Make the next batch the one the uninterrupted run trained on at iteration ``num_iters + 1``.

        Args:
            num_iters (int): Iterations already trained.
        """
        loader = self.dataloader
        batch_size = loader.batch_size  # None when the config gives its own batch sampler
        sampler = getattr(loader, 'sampler', None)
        if batch_size is not None and callable(getattr(sampler, 'set_start', None)):
            sampler.set_start(num_iters * batch_size)
            self._restart_dataloader_iterator()
            print_log(f'Resumed at iteration {num_iters}: {type(sampler).__name__} starts after the '
                      f'{num_iters * batch_size} samples this rank has trained on, without loading them',
                      logger='current')
            return
        dataset = loader.dataset
        if batch_size is not None and isinstance(dataset, IterableDataset) and callable(
                getattr(dataset, 'skip', None)):
            self.skip_streaming_dataset(dataset, num_iters * batch_size, batch_size)
            self._restart_dataloader_iterator()
            print_log(f'Resumed at iteration {num_iters}: {type(dataset).__name__}.skip passed the '
                      f'{num_iters * batch_size} samples this rank has trained on', logger='current')
            return
        why = ('its data loader has its own batch sampler' if batch_size is None else
               f'its sampler ({type(sampler).__name__}) cannot start at a position')
        print_log(f'Resuming at iteration {num_iters}: {why}, so the {num_iters} batches already trained are '
                  'loaded and discarded, as mmengine\'s IterBasedTrainLoop does (use '
                  'sampler=dict(type=\'umgclip_mm.ResumableInfiniteSampler\') to skip them at no cost)',
                  logger='current', level=logging.WARNING)
        for _ in range(num_iters):
            next(self.dataloader_iterator)

    def skip_streaming_dataset(self, dataset: IterableDataset, num_samples: int, batch_size: int) -> None:
        """Hook point for a streaming data set that can pass samples cheaply (``UMGWebDataset.skip``): called on
        resume, on the main process's data set, before the data loader iterator is made again, with the number of
        samples this rank's data loader has yielded so far (batch ``k`` of a rank comes from its worker
        ``k % num_workers``).

        Args:
            dataset (IterableDataset): The training data set; it has a ``skip`` method.
            num_samples (int): Samples this rank has trained on (iterations x batch size).
            batch_size (int): The data loader's batch size.
        """
        dataset.skip(num_samples, batch_size)

    def _restart_dataloader_iterator(self) -> None:
        """A new iterator of the kind the loop made at construction (mmengine's infinite wrapper), over the data
        loader as it is now. With persistent workers, torch's data loader resets its iterator and keeps the
        workers; without, the old workers shut down with the old iterator."""
        self.dataloader_iterator = type(self.dataloader_iterator)(self.dataloader)
