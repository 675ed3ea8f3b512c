from .fast_resume_iter_based_train_loop import FastResumeIterBasedTrainLoop

__all__ = ['FastResumeIterBasedTrainLoop']
