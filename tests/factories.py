"""factory_boy factories for the domain; fixtures in conftest.py wrap them."""

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from annotations.models import Assignment, Comparison, Evaluation, Rating
from generations.models import ChatModel, Generation, Prompt, PromptSet
from generations.words import count_turn_words, count_words


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests")


class PromptSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PromptSet

    name = factory.Sequence(lambda n: f"prompt-set-{n}")


class PromptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prompt

    prompt_set = factory.SubFactory(PromptSetFactory)
    external_id = factory.Sequence(lambda n: f"p{n}")
    turns = factory.LazyAttribute(
        lambda o: [{"role": "user", "content": f"Question {o.external_id}?"}]
    )
    categories = factory.LazyFunction(lambda: ["factual questions"])
    num_turns = factory.LazyAttribute(
        lambda o: sum(1 for turn in o.turns if turn["role"] == "user")
    )
    word_count = factory.LazyAttribute(lambda o: count_turn_words(o.turns))


class ChatModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChatModel
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"chat-model-{n}")
    backend = ChatModel.Backend.IMPORTED


class GenerationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Generation

    prompt = factory.SubFactory(PromptFactory)
    chat_model = factory.SubFactory(ChatModelFactory)
    status = Generation.Status.DONE
    source = Generation.Source.IMPORTED
    text = factory.Sequence(lambda n: f"Response number {n}.")
    word_count = factory.LazyAttribute(lambda o: count_words(o.text))


class EvaluationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evaluation
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"evaluation-{n}")
    prompt_set = factory.SubFactory(PromptSetFactory)
    candidate = factory.SubFactory(ChatModelFactory)
    baseline = factory.SubFactory(ChatModelFactory)

    @factory.post_generation
    def with_models(self, create, extracted, **kwargs):
        if create and self.candidate_id and self.baseline_id:
            self.chat_models.add(self.candidate, self.baseline)


class ComparisonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comparison

    evaluation = factory.SubFactory(EvaluationFactory)
    prompt = factory.SubFactory(
        PromptFactory, prompt_set=factory.SelfAttribute("..evaluation.prompt_set")
    )
    candidate_generation = factory.SubFactory(
        GenerationFactory,
        prompt=factory.SelfAttribute("..prompt"),
        chat_model=factory.SelfAttribute("..evaluation.candidate"),
    )
    baseline_generation = factory.SubFactory(
        GenerationFactory,
        prompt=factory.SelfAttribute("..prompt"),
        chat_model=factory.SelfAttribute("..evaluation.baseline"),
    )


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    comparison = factory.SubFactory(ComparisonFactory)
    annotator = factory.SubFactory(UserFactory)
    candidate_on_left = True
    leased_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(
        lambda: timezone.now() + timezone.timedelta(minutes=30)
    )


class RatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rating

    comparison = factory.SubFactory(ComparisonFactory)
    annotator = factory.SubFactory(UserFactory)
    scale = "seven"
    choice = 1
    candidate_on_left = True
    score = factory.LazyAttribute(
        lambda o: o.choice if o.candidate_on_left else -o.choice
    )
    created_at = factory.LazyFunction(timezone.now)
